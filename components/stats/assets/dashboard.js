// TDS operations dashboard: reads the stats API with the token kept in sessionStorage.
// Every value from the API is inserted as text, never as HTML.
"use strict";

const TOKEN_KEY = "tds-stats-token";
const REFRESH_MS = 5000;
const $ = (selector) => document.querySelector(selector);
let timer = null;
let deadLetterCursor = null;

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (name === "onclick") node.addEventListener("click", value);
    else if (value !== null && value !== undefined) node.setAttribute(name, value);
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child ?? "")));
  return node;
}

class Unauthorized extends Error {}

async function api(path, options = {}) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const headers = { Authorization: `Bearer ${token}` };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method: options.method || "GET",
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const body = await response.json().catch(() => ({}));
  if (response.status === 401) throw new Unauthorized(body.error ? body.error.message : "unauthorized");
  if (!response.ok) throw new Error(body.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${response.status}`);
  return body;
}

function seconds(value) {
  if (value === null || value === undefined) return "–";
  if (value < 1) return `${(value * 1000).toFixed(0)} ms`;
  if (value < 120) return `${value.toFixed(1)} s`;
  if (value < 7200) return `${(value / 60).toFixed(1)} min`;
  return `${(value / 3600).toFixed(1)} h`;
}

function when(text) {
  if (!text) return "–";
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? text : date.toLocaleString();
}

function fill(tbody, rows, columns, emptyText) {
  tbody.replaceChildren();
  if (rows.length === 0) {
    tbody.append(el("tr", { class: "empty" }, el("td", { colspan: columns }, emptyText)));
    return;
  }
  for (const row of rows) tbody.append(row);
}

function setStat(name, text) {
  const node = document.querySelector(`[data-stat="${name}"]`);
  if (node) node.textContent = text;
}

async function loadHealth() {
  const pill = $("#health");
  try {
    const response = await fetch("/health");
    const health = await response.json();
    pill.dataset.state = health.status;
    pill.textContent = health.status === "ok"
      ? `database ok · ${health.database.latency_ms.toFixed(1)} ms · v${health.version}`
      : `database unavailable: ${health.database.error}`;
  } catch (e) {
    pill.dataset.state = "unavailable";
    pill.textContent = "stats unreachable";
  }
}

async function loadQueue() {
  const q = await api("/api/queue");
  for (const status of ["pending", "processing", "retry", "completed"]) setStat(status, q.by_status[status]);
  setStat("dead-open", q.dead_letters_open.total);
  setStat("oldest", seconds(q.oldest_pending_age_seconds));
  const t = q.throughput;
  setStat("throughput", `${t["1m"].completed} / 1 m · ${t["5m"].completed} / 5 m · ${t["1h"].completed} / 1 h`);
  const l = q.latency_seconds.overall;
  setStat("latency", `${seconds(l.p50)} / ${seconds(l.p95)} / ${seconds(l.p99)}`);
  fill($("#lanes tbody"), q.by_lane.map((lane) => el("tr", { "data-lane": lane.lane },
    el("td", {}, lane.lane), el("td", {}, lane.counts.pending), el("td", {}, lane.counts.processing),
    el("td", {}, lane.counts.retry), el("td", {}, lane.counts.completed), el("td", {}, lane.counts.dead),
    el("td", {}, seconds(lane.oldest_pending_age_seconds)), el("td", {}, lane.throughput["5m"].completed),
    el("td", {}, seconds(q.latency_seconds.by_lane[lane.lane].p95)))), 9, "no lanes");
}

function chart(svg, points, series, options = {}) {
  const width = 640, height = 220, left = 40, bottom = 20, top = 10;
  svg.replaceChildren();
  const ns = "http://www.w3.org/2000/svg";
  const node = (tag, attrs, text) => {
    const n = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
    if (text !== undefined) n.textContent = text;
    svg.append(n);
    return n;
  };
  const values = points.flatMap((p) => series.map((s) => p[s.key]).filter((v) => v !== null && v !== undefined));
  const max = Math.max(1e-9, ...values, options.floor || 0);
  const x = (i) => left + (i * (width - left - 8)) / Math.max(1, points.length - 1);
  const y = (v) => top + (height - top - bottom) * (1 - v / max);
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    node("line", { class: "grid-line", x1: left, x2: width - 8, y1: y(v), y2: y(v) });
    node("text", { x: 2, y: y(v) + 3 }, options.format ? options.format(v) : Math.round(v));
  }
  points.forEach((p, i) => {
    if (i % 10 === 0 || i === points.length - 1) {
      const d = new Date(p.minute * 1000);
      node("text", { x: x(i) - 12, y: height - 4 }, `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`);
    }
  });
  for (const s of series) {
    if (s.bars) {
      const w = Math.max(1, (width - left) / Math.max(1, points.length) - 2);
      points.forEach((p, i) => {
        if (p[s.key]) node("rect", { x: x(i) - w / 2, y: y(p[s.key]), width: w, height: y(0) - y(p[s.key]), fill: s.color, opacity: 0.8 });
      });
    } else {
      const path = points.map((p, i) => (p[s.key] === null ? null : `${x(i)},${y(p[s.key])}`)).filter(Boolean);
      if (path.length) node("polyline", { points: path.join(" "), fill: "none", stroke: s.color, "stroke-width": 2 });
      points.forEach((p, i) => {
        if (p[s.key] !== null && p[s.key] !== undefined && (s.dots || path.length === 1)) node("circle", { cx: x(i), cy: y(p[s.key]), r: 3, fill: s.color });
      });
    }
  }
}

async function loadSeries() {
  const series = await api("/api/queue/series?minutes=60");
  chart($("#chart-queue"), series.points, [
    { key: "enqueued", color: "#b9c3d6", bars: true },
    { key: "completed", color: "#1f9d55", bars: true },
    { key: "depth", color: "#2f6fde" },
  ]);
  chart($("#chart-latency"), series.points, [
    { key: "latency_p50", color: "#1f9d55", dots: true },
    { key: "latency_p95", color: "#2f6fde", dots: true },
    { key: "latency_p99", color: "#d64545", dots: true },
  ], { format: (v) => v.toFixed(v < 10 ? 1 : 0) });
}

async function loadCircuits() {
  const circuits = await api("/api/circuits");
  fill($("#circuits tbody"), circuits.items.map((c) => el("tr", { "data-circuit": c.name },
    el("td", {}, c.name), el("td", { class: `state-${c.state}` }, c.state), el("td", {}, c.consecutive_failures),
    el("td", {}, c.last_error || ""),
    el("td", { class: "actions" }, c.state === "closed" ? "" : el("button", {
      type: "button", "data-action": "reset", onclick: () => act(`/api/circuits/${encodeURIComponent(c.name)}/reset`, {}, `circuit ${c.name} reset`),
    }, "Reset")))), 5, "no circuit breakers recorded");
}

async function loadAlerts() {
  const alerts = await api("/api/alerts?status=active&limit=50");
  fill($("#alerts tbody"), alerts.items.map((a) => el("tr", { "data-alert": a.id },
    el("td", { class: `sev-${a.severity}` }, a.severity), el("td", {}, a.kind), el("td", {}, a.message),
    el("td", {}, a.status), el("td", {}, when(a.opened_at)),
    el("td", { class: "actions" }, a.status !== "open" ? "" : el("button", {
      type: "button", "data-action": "acknowledge", onclick: () => act(`/api/alerts/${a.id}/acknowledge`, {}, `alert ${a.id} acknowledged`),
    }, "Acknowledge")))), 6, "no active alerts");
}

function listing(m) {
  if (m.listing === "in_pass") return `pass ${m.pass}, page ${m.page} (${m.listed_in_pass} listed)`;
  if (m.listing === "whole") return `whole (${m.passes} ${m.passes === 1 ? "pass" : "passes"}, last ${m.last_pass_records} records)`;
  return "not started";
}

async function loadPull() {
  const p = await api("/api/reconcile/progress");
  const r = p.requests, e = p.estimate;
  setStat("pull-requests", `${r.today} of ${r.budget} requests today · ${r.left_today} left`
    + ` (limit ${r.limit}, reserve ${r.reserve})` + (r.refused_today ? ` · ${r.refused_today} refused` : ""));
  const meter = $("#pull-meter").parentElement;
  meter.setAttribute("aria-valuemax", r.budget);
  meter.setAttribute("aria-valuenow", Math.min(r.today, r.budget));
  meter.classList.toggle("full", r.left_today === 0);
  $("#pull-meter").style.width = `${r.budget ? Math.min(100, (100 * r.today) / r.budget) : 100}%`;
  const days = e.days_after_today === 1 ? "1 day" : `${e.days_after_today} days`;
  setStat("pull-estimate", p.modules.length === 0 ? "No pull has run yet (POST /internal/reconcile, or the hourly run)"
    : p.caught_up ? "Caught up: every listing is whole and nothing waits to be read"
    : e.finish_date === null ? `Estimate: ${e.requests} requests to go, never at this budget (a day's budget does not cover the listing)`
    : `Estimate: ${e.requests} requests to go, done ${e.days_after_today === 0 ? "today" : `by ${e.finish_date} (${days})`}`);
  document.querySelector('[data-stat="pull-estimate"]').title = e.assumes;
  fill($("#pull tbody"), p.modules.map((m) => el("tr", { "data-module": m.module },
    el("td", {}, m.module), el("td", { class: `listing-${m.listing}` }, listing(m)), el("td", {}, m.listed),
    el("td", {}, m.read), el("td", {}, m.to_read))), 5, "no module listed yet");
  for (const name of ["listed", "read", "to_read"]) document.querySelector(`[data-total="${name}"]`).textContent = p.totals[name];
}

function deadLetterRow(d) {
  const actions = el("td", { class: "actions" });
  const showButtons = () => actions.replaceChildren(
    el("button", { type: "button", "data-action": "replay", "data-id": d.id,
      onclick: () => act(`/api/dead-letters/${d.id}/replay`, {}, `dead letter ${d.id} replayed`) }, "Replay"),
    el("button", { type: "button", class: "secondary", "data-action": "resolve", "data-id": d.id, onclick: askNote }, "Resolve"));
  function askNote() {
    const note = el("input", { type: "text", placeholder: "why it is resolved", "aria-label": "resolution note" });
    const confirm = el("button", { type: "button", "data-action": "confirm-resolve", "data-id": d.id, onclick: () => {
      if (!note.value.trim()) { note.focus(); return; }
      act(`/api/dead-letters/${d.id}/resolve`, { note: note.value.trim() }, `dead letter ${d.id} resolved`);
    } }, "Confirm");
    actions.replaceChildren(note, confirm, el("button", { type: "button", class: "secondary", onclick: showButtons }, "Cancel"));
    note.focus();
  }
  showButtons();
  return el("tr", { "data-dead-letter": d.id },
    el("td", {}, d.id), el("td", {}, d.module), el("td", {}, d.entity_id || "–"), el("td", {}, d.error_class),
    el("td", {}, d.error_code), el("td", { class: "reason" }, d.reason), el("td", {}, d.attempt_count),
    el("td", {}, when(d.created_at)), actions);
}

async function loadDeadLetters(append = false) {
  const path = "/api/dead-letters?status=open&limit=25" + (append && deadLetterCursor ? `&cursor=${encodeURIComponent(deadLetterCursor)}` : "");
  const page = await api(path);
  const tbody = $("#dead-letters tbody");
  const rows = page.items.map(deadLetterRow);
  if (append) rows.forEach((r) => tbody.append(r));
  else fill(tbody, rows, 9, "no open dead letters");
  deadLetterCursor = page.next_cursor;
  $("#more-dead-letters").hidden = !page.next_cursor;
}

async function act(path, body, done) {
  const message = $("#action-message");
  document.querySelectorAll("button[data-action]").forEach((b) => { b.disabled = true; });
  try {
    await api(path, { method: "POST", body });
    message.textContent = done;
  } catch (e) {
    if (e instanceof Unauthorized) return signIn(e.message);
    message.textContent = `failed: ${e.message}`;
  }
  await refresh();
}

async function refresh() {
  clearTimeout(timer);
  try {
    await Promise.all([loadHealth(), loadQueue(), loadSeries(), loadCircuits(), loadPull(), loadAlerts(), loadDeadLetters()]);
    $("#refreshed").textContent = `updated ${new Date().toLocaleTimeString()}`;
    document.body.dataset.loaded = "true";
  } catch (e) {
    if (e instanceof Unauthorized) return signIn("the token was not accepted");
    $("#refreshed").textContent = `refresh failed: ${e.message}`;
  }
  timer = setTimeout(refresh, REFRESH_MS);
}

function signIn(error) {
  clearTimeout(timer);
  sessionStorage.removeItem(TOKEN_KEY);
  $("#main").hidden = true;
  $("#sign-out").hidden = true;
  $("#login").hidden = false;
  $("#login-error").textContent = error || "";
  $("#token-input").focus();
}

function start() {
  $("#login").hidden = true;
  $("#main").hidden = false;
  $("#sign-out").hidden = false;
  refresh();
}

$("#token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const token = $("#token-input").value.trim();
  if (!token) return;
  sessionStorage.setItem(TOKEN_KEY, token);
  $("#token-input").value = "";
  start();
});
$("#sign-out").addEventListener("click", () => signIn(""));
$("#more-dead-letters").addEventListener("click", () => loadDeadLetters(true).catch((e) => { $("#action-message").textContent = e.message; }));

if (sessionStorage.getItem(TOKEN_KEY)) start(); else signIn("");
