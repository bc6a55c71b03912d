// Preload (`node --require`) for bench/src/latency-ab.ts: where a server's time goes on each request,
// read inside the process, so the figures do not carry the load generator's or the machine's noise
// between processes. Sequential requests (one connection) only: one request is tracked at a time.
// Marks, from the 'request' event: the upstream request created and its headers, first body chunk and
// end received (undici's diagnostics channels), then the first write / end() to the client.
// At exit, the medians (ms) of chat requests, by kind (JSON or SSE answer), go to STAGE_TIMES_OUT.
'use strict';
const http = require('node:http');
const dc = require('node:diagnostics_channel');
const fs = require('node:fs');

const now = () => performance.now();
let cur = null;
const done = { json: [], stream: [] };
/** Requests not answered yet. */
const open = new Set();

const REC = Symbol('stageTimes');
const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function (ev, req, res) {
  if (ev === 'request') {
    // Overlapping requests (a warm-up at several connections) cannot be told apart: both are dropped.
    const overlap = open.size > 0;
    for (const r of open) r.overlap = true;
    cur = { t0: now(), overlap, ended: false, chat: String(req.url).startsWith('/v1/chat') };
    const r = cur;
    open.add(r);
    res.once('close', () => open.delete(r)); // answered or not (the client left)
    res[REC] = r;
  }
  return emit.apply(this, arguments);
};
const mark = (name) => () => {
  if (cur && cur[name] === undefined) cur[name] = now();
};
dc.subscribe('undici:request:create', mark('upstreamCreated'));
dc.subscribe('undici:request:headers', mark('upstreamHeaders'));
dc.subscribe('undici:request:bodyChunkReceived', mark('upstreamChunk'));
dc.subscribe('undici:request:trailers', mark('upstreamEnd'));
const write = http.ServerResponse.prototype.write;
http.ServerResponse.prototype.write = function () {
  const r = this[REC];
  if (r && r.firstWrite === undefined) r.firstWrite = now();
  return write.apply(this, arguments);
};
const end = http.ServerResponse.prototype.end;
http.ServerResponse.prototype.end = function () {
  const r = this[REC];
  if (r && !r.ended) {
    r.ended = true;
    open.delete(r);
    if (r.firstWrite === undefined) r.firstWrite = now();
    const kind = String(this.getHeader('content-type') || '').includes('event-stream') ? 'stream' : 'json';
    if (r.chat) queueMicrotask(() => r.overlap || done[kind].push(r));
  }
  return end.apply(this, arguments);
};

const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? Math.round(s[Math.floor(s.length / 2)] * 1000) / 1000 : null;
};
process.on('exit', () => {
  const out = {};
  for (const kind of ['json', 'stream']) {
    const rs = done[kind];
    if (!rs.length) continue;
    out[kind] = {
      n: rs.length,
      requestToUpstream: median(rs.map((r) => r.upstreamCreated - r.t0)),
      upstreamHeadersToFirstWrite: median(rs.map((r) => r.firstWrite - r.upstreamHeaders)),
      upstreamFirstChunkToFirstWrite: median(rs.map((r) => r.firstWrite - r.upstreamChunk)),
      requestToFirstWrite: median(rs.map((r) => r.firstWrite - r.t0)),
    };
  }
  if (process.env.STAGE_TIMES_OUT) fs.writeFileSync(process.env.STAGE_TIMES_OUT, JSON.stringify(out));
});
