// A flash sale through the gateway: BUYERS buyers arrive at once for SEATS reserved seats,
// PER_ORDER each (by default more wanted than there are), pick seats from the live seat map,
// and go hold → book → pay → confirmed; a taken seat (409) sends them back to the map until
// they have seats or the event is sold out. Then teardown() counts what was sold and checks
// that no seat went to two confirmed bookings and no more were sold than exist.
//
//   .venv/bin/k6 run -e BASE_URL=http://127.0.0.1:8080 k6/flash_sale.js
//   docker compose run --rm k6 run /scripts/flash_sale.js
//
// setup() makes everything it needs through the API: an organizer (registered, then promoted
// by the admin: ADMIN_EMAIL / ADMIN_PASSWORD), a published event (its per-address hold cap
// lifted: all the load comes from one address) and BUYERS signed-in buyers.
// All traffic comes from one address, so start the stack with the gateway's per-address
// limits lifted (README "Load testing"): RATE_LIMIT_RPS, RATE_LIMIT_BURST,
// AUTH_RATE_LIMIT_RPM, AUTH_RATE_LIMIT_BURST.
// Results to Prometheus (optional): `-o experimental-prometheus-rw` with
// K6_PROMETHEUS_RW_SERVER_URL (compose sets it to http://prometheus:9090/api/v1/write).
// Thresholds are hard: a crossed one fails the run (exit code 99).
import http from "k6/http";
import exec from "k6/execution";
import { check, sleep } from "k6";
import { Counter, Trend } from "k6/metrics";

const BASE_URL = (__ENV.BASE_URL || "http://127.0.0.1:8080").replace(/\/$/, "");
const ADMIN_EMAIL = __ENV.ADMIN_EMAIL || "admin@ticketing.local";
const ADMIN_PASSWORD = __ENV.ADMIN_PASSWORD || "admin-dev-password";
const BUYERS = Number(__ENV.BUYERS || 40);
const SEATS = Number(__ENV.SEATS || 60); // rounded up to whole rows of 10
const PER_ORDER = Number(__ENV.PER_ORDER || 2);
const MAX_ATTEMPTS = Number(__ENV.MAX_ATTEMPTS || 30); // seat-map → hold tries per buyer
const CONFIRM_SECONDS = Number(__ENV.CONFIRM_SECONDS || 30);
const PRICE = 5000;
const CARD = "4242424242424242";

// 409 is the answer a flash sale is made of (a seat someone else took): not a failed request.
http.setResponseCallback(http.expectedStatuses({ min: 200, max: 399 }, 409));

const holdsCreated = new Counter("flash_holds_created");
const holdConflicts = new Counter("flash_hold_conflicts");
const confirmedOrders = new Counter("flash_orders_confirmed");
const failedOrders = new Counter("flash_orders_failed");
const buyersWithoutSeats = new Counter("flash_buyers_sold_out");
const seatsSold = new Counter("flash_seats_sold");
const oversold = new Counter("flash_oversold_seats");
const holdToConfirmed = new Trend("flash_hold_to_confirmed_ms", true);

export const options = {
  setupTimeout: __ENV.SETUP_TIMEOUT || "180s",
  teardownTimeout: "60s",
  scenarios: {
    stampede: {
      // everyone at once, each buyer one purchase (with its retries)
      executor: "per-vu-iterations",
      vus: BUYERS,
      iterations: 1,
      maxDuration: __ENV.MAX_DURATION || "2m",
    },
  },
  thresholds: {
    flash_oversold_seats: ["count==0"], // a seat in two confirmed bookings, or more sold than exist
    flash_orders_failed: ["count==0"], // a hold that never became a confirmed order
    flash_orders_confirmed: ["count>0"],
    flash_seats_sold: ["count>0"],
    http_req_failed: ["rate<0.01"],
    checks: ["rate>0.99"],
    "http_req_duration{step:hold}": ["p(95)<1000"],
    "http_req_duration{step:pay}": ["p(95)<2000"],
    flash_hold_to_confirmed_ms: ["p(95)<10000"],
  },
};

function json(token, extra) {
  const headers = { "Content-Type": "application/json", Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  return Object.assign({ headers }, extra || {});
}

function post(path, body, token, extra) {
  return http.post(`${BASE_URL}${path}`, JSON.stringify(body), json(token, extra));
}

function login(email, password) {
  const res = post("/api/auth/login", { email, password }, null, { tags: { step: "login" } });
  if (!check(res, { "login: 200": (r) => r.status === 200 })) {
    exec.test.abort(`login of ${email} answered ${res.status}: ${res.body}`);
  }
  return res.json("access_token");
}

function register(email, password, name) {
  const res = post("/api/auth/register", { email, password, full_name: name }, null, {
    tags: { step: "register" },
  });
  if (!check(res, { "register: 201": (r) => r.status === 201 })) {
    exec.test.abort(`registering ${email} answered ${res.status}: ${res.body}`);
  }
  return res.json("id");
}

export function setup() {
  const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const password = `flash-sale-${run}`;
  const admin = login(ADMIN_EMAIL, ADMIN_PASSWORD);

  const organizerEmail = `flash-organizer-${run}@example.com`;
  const organizerId = register(organizerEmail, password, "Flash Organizer");
  const promoted = http.patch(
    `${BASE_URL}/api/auth/admin/users/${organizerId}`,
    JSON.stringify({ role: "organizer" }),
    json(admin),
  );
  check(promoted, { "promote organizer: 200": (r) => r.status === 200 });
  const organizer = login(organizerEmail, password); // the new role is in the new token

  const rows = Math.ceil(SEATS / 10);
  const starts = new Date(Date.now() + 30 * 86400e3);
  const event = post(
    "/api/events",
    {
      title: `Flash sale ${run}`,
      description: "k6/flash_sale.js",
      location: "Load Test Arena",
      starts_at: starts.toISOString(),
      ends_at: new Date(starts.getTime() + 3 * 3600e3).toISOString(),
      currency: "USD",
      max_tickets_per_order: PER_ORDER,
      max_tickets_per_buyer: PER_ORDER,
      tiers: [{ code: "standard", name: "Standard", price: PRICE }],
      seating: [
        {
          section: "S",
          tier: "standard",
          rows: Array.from({ length: rows }, (_, i) => `R${i + 1}`),
          seats_per_row: 10,
        },
      ],
      // every buyer here shares one client address: lift the per-address cap on live holds
      hold_rules: { max_live_holds_per_address: null, rehold_cooldown_seconds: 0 },
    },
    organizer,
  );
  if (!check(event, { "create event: 201": (r) => r.status === 201 })) {
    exec.test.abort(`creating the event answered ${event.status}: ${event.body}`);
  }
  const eventId = event.json("id");
  const published = post(`/api/events/${eventId}/publish`, {}, organizer);
  check(published, { "publish: 200": (r) => r.status === 200 });

  const buyers = [];
  for (let i = 0; i < BUYERS; i++) {
    const email = `flash-buyer-${i}-${run}@example.com`;
    register(email, password, `Buyer ${i}`);
    buyers.push(login(email, password));
  }
  return { run, admin, organizer, eventId, buyers, seats: rows * 10 };
}

function availableSeats(eventId, token) {
  const res = http.get(`${BASE_URL}/api/events/${eventId}/seats`, json(token, { tags: { step: "seats" } }));
  check(res, { "seat map: 200": (r) => r.status === 200 });
  return res.status === 200 ? res.json().filter((s) => s.status === "available").map((s) => s.seat_id) : [];
}

function pick(seats, count) {
  const chosen = [];
  const pool = seats.slice();
  while (chosen.length < count && pool.length > 0) {
    chosen.push(pool.splice(Math.floor(Math.random() * pool.length), 1)[0]);
  }
  return chosen;
}

function waitConfirmed(bookingId, token) {
  const deadline = Date.now() + CONFIRM_SECONDS * 1000;
  while (Date.now() < deadline) {
    const res = http.get(`${BASE_URL}/api/bookings/${bookingId}`, json(token, { tags: { step: "poll" } }));
    if (res.status === 200 && res.json("status") === "confirmed") return true;
    if (res.status !== 200 || res.json("status") !== "pending_payment") return false;
    sleep(0.1);
  }
  return false;
}

export default function (data) {
  const token = data.buyers[(exec.vu.idInTest - 1) % data.buyers.length];
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const free = availableSeats(data.eventId, token);
    if (free.length < PER_ORDER) {
      buyersWithoutSeats.add(1); // sold out (or too few left together): a normal outcome
      return;
    }
    const hold = post(`/api/events/${data.eventId}/holds`, { seat_ids: pick(free, PER_ORDER) }, token, {
      tags: { step: "hold" },
    });
    if (hold.status === 409) {
      check(hold, { "hold conflict: seats_unavailable": (r) => r.json("error") === "seats_unavailable" });
      holdConflicts.add(1);
      continue; // someone was faster: back to the seat map
    }
    if (!check(hold, { "hold: 201": (r) => r.status === 201 })) {
      failedOrders.add(1);
      return;
    }
    holdsCreated.add(1);
    const started = Date.now();
    const key = `flash-${data.run}-${exec.vu.idInTest}`;
    const booking = post("/api/bookings", { hold_id: hold.json("hold_id") }, token, {
      headers: Object.assign(json(token).headers, { "Idempotency-Key": `${key}-booking` }),
      tags: { step: "book" },
    });
    if (!check(booking, { "book: 201": (r) => r.status === 201 })) {
      failedOrders.add(1);
      return;
    }
    const payment = post(
      "/api/payments",
      { booking_id: booking.json("id"), card_number: CARD, exp_month: 12, exp_year: new Date().getFullYear() + 3, cvc: "123" },
      token,
      { headers: Object.assign(json(token).headers, { "Idempotency-Key": `${key}-payment` }), tags: { step: "pay" } },
    );
    const paid = check(payment, {
      "pay: 201": (r) => r.status === 201,
      "pay: succeeded": (r) => r.status === 201 && r.json("status") === "succeeded",
    });
    const confirmed = paid && waitConfirmed(booking.json("id"), token);
    check(confirmed, { "booking confirmed": (ok) => ok === true });
    if (confirmed) {
      confirmedOrders.add(1);
      holdToConfirmed.add(Date.now() - started);
    } else {
      failedOrders.add(1);
    }
    return;
  }
  failedOrders.add(1); // MAX_ATTEMPTS conflicts in a row
}

export function teardown(data) {
  // Every confirmed booking of the event (the admin's view), page by page.
  const seatIds = [];
  for (let page = 1; ; page++) {
    const res = http.get(
      `${BASE_URL}/api/bookings/admin/all?event_id=${data.eventId}&status=confirmed&page=${page}&page_size=100`,
      json(data.admin, { tags: { step: "verify" } }),
    );
    if (!check(res, { "verify: bookings 200": (r) => r.status === 200 })) return;
    for (const booking of res.json("items")) {
      for (const seat of booking.seats) seatIds.push(seat.seat_id);
    }
    if (page * 100 >= res.json("total")) break;
  }
  const distinct = new Set(seatIds).size;
  const twice = seatIds.length - distinct; // a seat in two confirmed bookings
  const beyond = Math.max(0, distinct - data.seats); // more sold than exist
  oversold.add(twice + beyond);
  seatsSold.add(seatIds.length);
  const sales = http.get(`${BASE_URL}/api/bookings/events/${data.eventId}/sales`, json(data.organizer));
  check(sales, {
    "sales: 200": (r) => r.status === 200,
    "sales: tickets sold = seats in confirmed bookings": (r) => r.status === 200 && r.json("tickets_sold") === seatIds.length,
  });
  console.log(
    `flash sale: ${seatIds.length} of ${data.seats} seats sold to ${seatIds.length / PER_ORDER} buyers; oversold: ${twice + beyond}`,
  );
}
