// Hold throughput through the gateway (`make bench` prepares the event and the tokens).
//   MODE=uncontended: every iteration holds one seat nobody else asks for (distinct seats);
//   MODE=contended:   every iteration asks for the same two seats (one winner, then 409s).
// Env: BASE_URL, EVENT_ID, TOKENS_FILE (JSON list of access tokens), SEATS_PER_ROW, ROW_OFFSET,
// VUS, DURATION.
import http from "k6/http";
import exec from "k6/execution";
import { Counter } from "k6/metrics";

const BASE_URL = (__ENV.BASE_URL || "http://127.0.0.1:8080").replace(/\/$/, "");
const MODE = __ENV.MODE || "uncontended";
const EVENT_ID = __ENV.EVENT_ID || "";
const SEATS_PER_ROW = Number(__ENV.SEATS_PER_ROW || 100);
// Distinct seats start at this row, so a contended run on the same event (row 0) is not
// disturbed by them.
const ROW_OFFSET = Number(__ENV.ROW_OFFSET || 0);
const TOKENS = JSON.parse(open(__ENV.TOKENS_FILE));

const held = new Counter("holds_created");
const refused = new Counter("holds_refused");
const failed = new Counter("holds_failed");

export const options = {
  scenarios: {
    main: {
      executor: "constant-vus",
      vus: Number(__ENV.VUS || 32),
      duration: __ENV.DURATION || "15s",
    },
  },
  summaryTrendStats: ["avg", "med", "p(95)", "p(99)", "max"],
  discardResponseBodies: true,
};

function seatFor(n) {
  const row = ROW_OFFSET + Math.floor(n / SEATS_PER_ROW);
  return `A-R${row}-${(n % SEATS_PER_ROW) + 1}`;
}

export default function () {
  // every iteration a buyer of its own in turn: a stampede is many people, each holding a few
  const token = TOKENS[exec.scenario.iterationInTest % TOKENS.length];
  const seats =
    MODE === "contended" ? ["A-R0-1", "A-R0-2"] : [seatFor(exec.scenario.iterationInTest)];
  const r = http.post(
    `${BASE_URL}/api/events/${EVENT_ID}/holds`,
    JSON.stringify({ seat_ids: seats }),
    {
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
      responseCallback: http.expectedStatuses(201, 409),
    },
  );
  if (r.status === 201) held.add(1);
  else if (r.status === 409) refused.add(1);
  else failed.add(1);
}
