// Sign-in throughput through the gateway: each iteration signs one pre-registered user in.
// Env: BASE_URL, USERS_FILE (JSON list of {email, password}), VUS, DURATION (`make bench` runs it).
import http from "k6/http";
import { check } from "k6";

const users = JSON.parse(open(__ENV.USERS_FILE));
const base = __ENV.BASE_URL || "http://127.0.0.1:8080";

export const options = {
  scenarios: {
    login: {
      executor: "constant-vus",
      vus: Number(__ENV.VUS || 16),
      duration: __ENV.DURATION || "20s",
    },
  },
  summaryTrendStats: ["avg", "med", "p(95)", "p(99)", "max"],
  thresholds: { checks: ["rate>0.99"] },
};

export default function () {
  const user = users[Math.floor(Math.random() * users.length)];
  const response = http.post(`${base}/api/auth/login`, JSON.stringify(user), {
    headers: { "Content-Type": "application/json" },
  });
  check(response, {
    "status 200": (r) => r.status === 200,
    "has tokens": (r) => r.status === 200 && r.json("access_token") !== undefined,
  });
}
