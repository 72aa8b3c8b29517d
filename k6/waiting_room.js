// A flash sale through the waiting room: every buyer (one VU each) joins the event's line, polls
// its place politely (every 2-10 s, by its estimated wait) until admitted, then holds one
// general-admission place with its admission token. `make bench` prepares the event (its room
// on, the sale a few seconds away) and signs a token for each buyer, and passes them in
// BENCH_DATA (a JSON file: gateway_url, event_id, tier, tokens).
//
// Reported: flash_held (places held), flash_sold_out (admitted but too late: 409),
// flash_refused (a hold refused 403 — must be 0), flash_not_admitted (never admitted in time),
// server_errors (any 5xx), admitted_hold_ms (an admitted buyer's hold), queue_read_ms (a read of
// one's place), queue_wait_ms (join → admitted, as the buyer saw it).
import http from "k6/http";
import exec from "k6/execution";
import { sleep } from "k6";
import { SharedArray } from "k6/data";
import { Counter, Trend } from "k6/metrics";

const DATA = JSON.parse(open(__ENV.BENCH_DATA));
const TOKENS = new SharedArray("tokens", () => JSON.parse(open(__ENV.BENCH_DATA)).tokens);
const BASE = DATA.gateway_url;
const QUEUE = `${BASE}/api/events/${DATA.event_id}/queue`;
const HOLDS = `${BASE}/api/events/${DATA.event_id}/holds`;
const GIVE_UP_MS = Number(__ENV.GIVE_UP_SECONDS || 90) * 1000;

const held = new Counter("flash_held");
const soldOut = new Counter("flash_sold_out");
const refused = new Counter("flash_refused");
const notAdmitted = new Counter("flash_not_admitted");
const joinFailed = new Counter("flash_join_failed");
const serverErrors = new Counter("server_errors");
const holdMs = new Trend("admitted_hold_ms", true);
const readMs = new Trend("queue_read_ms", true);
const waitMs = new Trend("queue_wait_ms", true);

export const options = {
  scenarios: {
    flash: {
      executor: "per-vu-iterations",
      vus: TOKENS.length,
      iterations: 1,
      maxDuration: "5m",
    },
  },
  summaryTrendStats: ["avg", "min", "med", "p(90)", "p(95)", "p(99)", "max"],
};

function counted(response) {
  if (response.status >= 500) serverErrors.add(1);
  return response;
}

export default function () {
  const auth = { Authorization: `Bearer ${TOKENS[exec.vu.idInTest - 1]}` };
  const joined = counted(http.post(QUEUE, null, { headers: auth }));
  if (joined.status !== 201 && joined.status !== 200) {
    joinFailed.add(1);
    console.error(`join: ${joined.status} ${joined.error} ${joined.body}`);
    return;
  }
  const started = Date.now();
  let entry = joined.json();
  while (entry.state !== "admitted" && Date.now() - started < GIVE_UP_MS) {
    sleep(Math.min(10, Math.max(2, entry.estimated_wait_seconds / 2)) + Math.random());
    const read = counted(http.get(`${QUEUE}/me`, { headers: auth }));
    readMs.add(read.timings.duration);
    if (read.status === 200) entry = read.json();
  }
  if (entry.state !== "admitted") {
    notAdmitted.add(1);
    return;
  }
  waitMs.add(Date.now() - started);
  const headers = {
    ...auth,
    "Content-Type": "application/json",
    "X-Admission-Token": entry.admission_token,
  };
  const hold = counted(
    http.post(HOLDS, JSON.stringify({ tier: DATA.tier, quantity: 1 }), {
      headers,
      responseCallback: http.expectedStatuses(201, 409),
    }),
  );
  holdMs.add(hold.timings.duration);
  if (hold.status === 201) held.add(1);
  else if (hold.status === 409) soldOut.add(1);
  else if (hold.status === 403) refused.add(1);
}
