#!/usr/bin/env node
// A small static server for the built app, Node's standard library only:
//   node serve.mjs [DIR] [--url http://localhost:3000]
// Serves DIR (default dist/) at the URL's host and port. A path that is not a
// file gets index.html (the app routes /teams/... and /invitations/... itself).
// Sends the headers a production host (CloudFront) should send too: no referrer
// (the invitation URL carries the link's token), a content security policy that
// lets scripts come only from this origin and lets the app call only its API and
// its identity provider (read from DIR/config.json), and no caching of
// index.html and config.json.
import { createServer } from "node:http";
import { readFileSync, statSync } from "node:fs";
import { extname, join, normalize, resolve, sep } from "node:path";

const args = process.argv.slice(2);
const urlFlag = args.indexOf("--url");
const base = new URL(urlFlag >= 0 ? args[urlFlag + 1] : process.env.APP_BASE_URL || "http://localhost:3000");
const dir = resolve(args.find((a, i) => !a.startsWith("--") && args[i - 1] !== "--url") ?? "dist");
const host = base.hostname === "localhost" ? "127.0.0.1" : base.hostname.replace(/^\[|\]$/g, "");
const port = Number(base.port || (base.protocol === "https:" ? 443 : 80));

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
};

function contentSecurityPolicy() {
  const origins = new Set();
  try {
    const c = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
    for (const u of [c.api, c.oidc?.tokenEndpoint]) if (u) origins.add(new URL(u).origin);
  } catch {
    // no or bad config.json: the app says so itself; connect only to this origin
  }
  return [
    "default-src 'self'",
    `connect-src 'self' ${[...origins].join(" ")}`.trim(),
    "img-src 'self' data:",
    "style-src 'self'",
    "script-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
  ].join("; ");
}

function file(path) {
  try {
    return statSync(path).isFile() ? path : null;
  } catch {
    return null;
  }
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? "/", base);
  let path = null;
  try {
    const wanted = normalize(join(dir, decodeURIComponent(url.pathname)));
    if (wanted === dir || wanted.startsWith(dir + sep)) path = file(wanted);
  } catch {
    path = null;
  }
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { Allow: "GET, HEAD" }).end();
    return;
  }
  // Unknown paths are the app's routes; a missing asset (with an extension) is a 404.
  if (!path && extname(url.pathname) && extname(url.pathname) !== ".html") {
    res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" }).end("not found\n");
    return;
  }
  path ??= join(dir, "index.html");
  const ext = extname(path);
  const headers = {
    "Content-Type": TYPES[ext] ?? "application/octet-stream",
    "Cache-Control": ext === ".html" || path.endsWith("config.json") ? "no-store" : "no-cache",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
  };
  if (ext === ".html") headers["Content-Security-Policy"] = contentSecurityPolicy();
  let body;
  try {
    body = readFileSync(path);
  } catch {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, headers);
  res.end(req.method === "HEAD" ? undefined : body);
});

server.listen(port, host, () => {
  console.log(`serving ${dir} at ${base.origin} (listening on ${host}:${port})`);
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(0));
