// The whole purchase through the gateway, as fast as it goes: hold → book → pay → confirmed
// (polled) → PDF ticket available (polled). `make bench` prepares the stack, an organizer, a
// published event and signed-in buyers, and passes them in BENCH_DATA (a JSON file).
//
// Reported: journeys_confirmed (count and rate = confirmed bookings per second; every
// PDF_EVERY-th journey also waits for its PDF, which holds its VU a little longer),
// pay_to_confirmed_ms (payment answered → booking confirmed), pay_to_pdf_ms (payment answered →
// PDF downloadable), journey_ms (hold → confirmed).
import http from "k6/http";
import exec from "k6/execution";
import { check, sleep } from "k6";
import { Counter, Trend } from "k6/metrics";

const DATA = JSON.parse(open(__ENV.BENCH_DATA));
const BASE = DATA.gateway_url;
const POLL_SECONDS = Number(__ENV.POLL_SECONDS || 0.1);
const POLL_LIMIT_SECONDS = Number(__ENV.POLL_LIMIT_SECONDS || 30);
// Only every PDF_EVERY-th journey waits for its PDF, so the PDF wait does not throttle the
// confirmed-bookings rate much (1 = every journey).
const PDF_EVERY = Number(__ENV.PDF_EVERY || 4);
const PDF_POLL = { responseCallback: http.expectedStatuses(200, 404) };

const confirmed = new Counter("journeys_confirmed");
const failed = new Counter("journeys_failed");
const payToConfirmed = new Trend("pay_to_confirmed_ms", true);
const payToPdf = new Trend("pay_to_pdf_ms", true);
const journey = new Trend("journey_ms", true);

export const options = {
  scenarios: {
    journeys: {
      executor: "shared-iterations",
      vus: Number(__ENV.VUS || 16),
      iterations: Math.min(Number(__ENV.ITERATIONS || DATA.seat_ids.length), DATA.seat_ids.length),
      maxDuration: __ENV.MAX_DURATION || "5m",
    },
  },
  summaryTrendStats: ["avg", "min", "med", "p(90)", "p(95)", "p(99)", "max"],
  thresholds: { journeys_failed: ["count<1"] },
};

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
  const seat = DATA.seat_ids[n];
  const token = DATA.buyer_tokens[n % DATA.buyer_tokens.length];
  const h = headers(token);
  const started = Date.now();

  const hold = http.post(`${BASE}/api/events/${DATA.event_id}/holds`, JSON.stringify({ seat_ids: [seat] }), h);
  if (!check(hold, { "hold 201": (r) => r.status === 201 })) return failed.add(1);
  const booking = http.post(`${BASE}/api/bookings`, JSON.stringify({ hold_id: hold.json("hold_id") }), h);
  if (!check(booking, { "booking 201": (r) => r.status === 201 })) return failed.add(1);
  const bookingId = booking.json("id");
  const payment = http.post(
    `${BASE}/api/payments`,
    JSON.stringify({ booking_id: bookingId, card_number: "4242424242424242", exp_month: 12, exp_year: 2035, cvc: "123" }),
    h,
  );
  if (!check(payment, { "payment succeeded": (r) => r.status === 201 && r.json("status") === "succeeded" })) {
    return failed.add(1);
  }
  const paidAt = Date.now();

  const isConfirmed = pollUntil(() => http.get(`${BASE}/api/bookings/${bookingId}`, h).json("status") === "confirmed");
  if (!check(isConfirmed, { "booking confirmed": (ok) => ok })) return failed.add(1);
  const confirmedAt = Date.now();
  confirmed.add(1);
  payToConfirmed.add(confirmedAt - paidAt);
  journey.add(confirmedAt - started);

  if (n % PDF_EVERY !== 0) return;
  const pdfUrl = `${BASE}/api/notifications/tickets/${bookingId}/pdf`;
  const pdfParams = Object.assign({}, h, PDF_POLL);
  const pdfReady = pollUntil(() => http.get(pdfUrl, pdfParams).status === 200);
  if (!check(pdfReady, { "PDF available": (ok) => ok })) return failed.add(1);
  payToPdf.add(Date.now() - paidAt);
}
