// The whole purchase through the gateway, as fast as it goes: hold → book → pay → confirmed
// (one `GET /api/bookings/{id}?wait=10`, which answers once the booking is confirmed) → PDF
// ticket available (one `GET …/pdf?wait=10` likewise). `make bench` prepares the stack, an organizer, a
// published event and signed-in buyers, and passes them in BENCH_DATA (a JSON file).
//
// Load shapes (MODE): "rate" — an open model, RATE new journeys per second for DURATION (the
// latency of an on-sale at a given demand); "users" — VUS buyers going round as fast as they
// can for DURATION (a closed model: 100 or 200 users); "iterations" — VUS buyers selling
// ITERATIONS seats.
//
// Reported: journeys_confirmed (count and rate = confirmed bookings per second; every
// PDF_EVERY-th journey also waits for its PDF, which holds its VU a little longer),
// pay_to_confirmed_ms (payment answered → booking confirmed), pay_to_pdf_ms (payment answered →
// PDF downloadable), journey_ms (hold → confirmed), hold_ms, server_errors (any 5xx).
import http from "k6/http";
import exec from "k6/execution";
import { check, sleep } from "k6";
import { Counter, Trend } from "k6/metrics";

const DATA = JSON.parse(open(__ENV.BENCH_DATA));
const BASE = DATA.gateway_url;
const POLL_SECONDS = Number(__ENV.POLL_SECONDS || 0.1);
const POLL_LIMIT_SECONDS = Number(__ENV.POLL_LIMIT_SECONDS || 30);
// how long one GET of the booking (of the PDF) may wait for the confirmation (the PDF)
const WAIT_SECONDS = Number(__ENV.WAIT_SECONDS || 10);
// Only every PDF_EVERY-th journey waits for its PDF, so the PDF wait does not throttle the
// confirmed-bookings rate much (1 = every journey).
const PDF_EVERY = Number(__ENV.PDF_EVERY || 4);
const PDF_POLL = { responseCallback: http.expectedStatuses(200, 404) };

const confirmed = new Counter("journeys_confirmed");
const failed = new Counter("journeys_failed");
const payToConfirmed = new Trend("pay_to_confirmed_ms", true);
const payToPdf = new Trend("pay_to_pdf_ms", true);
const journey = new Trend("journey_ms", true);
const holdTime = new Trend("hold_ms", true);
const serverErrors = new Counter("server_errors");

const MODE = __ENV.MODE || "iterations";
const RATE = Number(__ENV.RATE || 50);
const SCENARIOS = {
  rate: {
    executor: "constant-arrival-rate",
    rate: RATE,
    timeUnit: "1s",
    duration: __ENV.DURATION || "20s",
    preAllocatedVUs: RATE * 3,
    maxVUs: RATE * 10,
    gracefulStop: "30s",
  },
  users: {
    executor: "constant-vus",
    vus: Number(__ENV.VUS || 100),
    duration: __ENV.DURATION || "20s",
    gracefulStop: "30s",
  },
  iterations: {
    executor: "shared-iterations",
    vus: Number(__ENV.VUS || 16),
    iterations: Math.min(Number(__ENV.ITERATIONS || DATA.seat_ids.length), DATA.seat_ids.length),
    maxDuration: __ENV.MAX_DURATION || "5m",
  },
};

export const options = {
  scenarios: { journeys: SCENARIOS[MODE] },
  summaryTrendStats: ["avg", "min", "med", "p(90)", "p(95)", "p(99)", "max"],
  thresholds: { journeys_failed: ["count<1"] },
};

function counted(response) {
  if (response.status >= 500) serverErrors.add(1);
  return response;
}

function headers(token) {
  return { headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` } };
}

function pollUntil(fn) {
  const deadline = Date.now() + POLL_LIMIT_SECONDS * 1000;
  while (Date.now() < deadline) {
    if (fn()) return true;
    sleep(POLL_SECONDS);
  }
  return false;
}

export default function () {
  const n = exec.scenario.iterationInTest;
  if (n >= DATA.seat_ids.length) return failed.add(1); // the run outgrew its event
  const seat = DATA.seat_ids[n];
  const token = DATA.buyer_tokens[n % DATA.buyer_tokens.length];
  const h = headers(token);
  const started = Date.now();

  const hold = counted(http.post(`${BASE}/api/events/${DATA.event_id}/holds`, JSON.stringify({ seat_ids: [seat] }), h));
  holdTime.add(hold.timings.duration);
  if (!check(hold, { "hold 201": (r) => r.status === 201 })) return failed.add(1);
  const booking = counted(http.post(`${BASE}/api/bookings`, JSON.stringify({ hold_id: hold.json("hold_id") }), h));
  if (!check(booking, { "booking 201": (r) => r.status === 201 })) return failed.add(1);
  const bookingId = booking.json("id");
  const payment = counted(http.post(
    `${BASE}/api/payments`,
    JSON.stringify({ booking_id: bookingId, card_number: "4242424242424242", exp_month: 12, exp_year: 2035, cvc: "123" }),
    h,
  ));
  if (!check(payment, { "payment succeeded": (r) => r.status === 201 && r.json("status") === "succeeded" })) {
    return failed.add(1);
  }
  const paidAt = Date.now();

  // one request that waits for the confirmation (asked again only if it is still pending)
  const waitUrl = `${BASE}/api/bookings/${bookingId}?wait=${WAIT_SECONDS}`;
  const isConfirmed = pollUntil(() => counted(http.get(waitUrl, h)).json("status") === "confirmed");
  if (!check(isConfirmed, { "booking confirmed": (ok) => ok })) return failed.add(1);
  const confirmedAt = Date.now();
  confirmed.add(1);
  payToConfirmed.add(confirmedAt - paidAt);
  journey.add(confirmedAt - started);

  if (n % PDF_EVERY !== 0) return;
  const pdfUrl = `${BASE}/api/notifications/tickets/${bookingId}/pdf?wait=${WAIT_SECONDS}`;
  const pdfParams = Object.assign({}, h, PDF_POLL);
  const pdfReady = pollUntil(() => counted(http.get(pdfUrl, pdfParams)).status === 200);
  if (!check(pdfReady, { "PDF available": (ok) => ok })) return failed.add(1);
  payToPdf.add(Date.now() - paidAt);
}
