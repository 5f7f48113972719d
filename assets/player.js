// The player: plays recorded unlearning runs in the browser (docs/PLAYER.md is the contract).
// One file, no imports, used three ways:
//   - the Streamlit component (app_ui/live/player.py): unlearnPlayerComponent(component), called again with the
//     same parentElement on every data change, so the player lives on parentElement.__unlearnPlayer and each
//     call only feeds it the new data;
//   - the downloaded HTML figure: unlearnMountPlayer(element, data), every frame in `data`, nothing requested;
//   - both run the same player (unlearnCreatePlayer).
// The browser owns the clock: the server is asked only for frames it lacks, to start a run, and about clicks.
// Top-level names are `var`/functions so that a page may include this file more than once.

/* ============================== plotly.js and payload decoding ============================== */
var UNLEARN_PLAYER_PLOTLY_URL = "/app/static/plotly.min.js";
var UNLEARN_PLAYER_SPEEDS = [["0.25", "0.25x"], ["0.5", "0.5x"], ["1", "1x"], ["2", "2x"], ["4", "4x"],
                             ["computed", "as computed"]];
var UNLEARN_PLAYER_PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                              "#17becf", "#bcbd22", "#7f7f7f"];
var UNLEARN_PLAYER_CONFIG = { displaylogo: false, responsive: true, displayModeBar: false };
var UNLEARN_PLAYER_DECODED = new WeakMap();     // frame object -> its decoded map (decoded once)

function unlearnPlayerLoadPlotly(url) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!window.__unlearnPlotly) {
    // Fetched and run as an inline script: Streamlit's static serving sends .js files as text/plain.
    // (The same promise as assets/live_chart.js's loader: plotly.js is loaded once per page.)
    window.__unlearnPlotly = fetch(url)
      .then((r) => { if (!r.ok) throw new Error(`plotly.js: HTTP ${r.status} for ${url}`); return r.text(); })
      .then((code) => {
        const script = document.createElement("script");
        script.textContent = code;
        document.head.appendChild(script);
        return window.Plotly;
      });
  }
  return window.__unlearnPlotly;
}

function unlearnBytes(b64) {
  const s = atob(b64 || "");
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

// uint16 little-endian (x, y) pairs scaled within bounds. A short buffer leaves NaN: such points are skipped.
function unlearnXY(b64, bounds, n) {
  const bytes = unlearnBytes(b64);
  const q = new Uint16Array(bytes.buffer, 0, bytes.length >> 1);
  const [[x0, x1], [y0, y1]] = bounds;
  const x = new Float64Array(n).fill(NaN), y = new Float64Array(n).fill(NaN);
  for (let i = 0; i < n && 2 * i + 1 < q.length; i++) {
    x[i] = x0 + (q[2 * i] / 65535) * (x1 - x0);
    y[i] = y0 + (q[2 * i + 1] / 65535) * (y1 - y0);
  }
  return { x, y };
}

function unlearnDecodeMap(frame, st) {
  let m = UNLEARN_PLAYER_DECODED.get(frame);
  if (!m) {
    m = unlearnXY(frame.map.xy, st.bounds, st.labels.length);
    m.pred = unlearnBytes(frame.map.pred);
    m.conf = unlearnBytes(frame.map.conf);
    UNLEARN_PLAYER_DECODED.set(frame, m);
  }
  return m;
}

function unlearnEsc(s) {
  return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}

var UNLEARN_PLAYER_CSS = `
.unlearn-player{font-size:var(--unlearn-font,13px);line-height:1.3}
.unlearn-controls{display:flex;flex-wrap:wrap;align-items:center;gap:6px;margin:2px 0 6px}
.unlearn-controls button,.unlearn-controls select{font:inherit;padding:2px 10px;border:1px solid #b8b8b8;
  border-radius:6px;background:#fff;color:#222;cursor:pointer}
.unlearn-controls button:hover{border-color:#ff4b4b;color:#ff4b4b}
.unlearn-controls .unlearn-timeline{flex:1 1 160px;min-width:120px;accent-color:#ff4b4b}
.unlearn-status{white-space:nowrap;font-variant-numeric:tabular-nums}
.unlearn-banner{display:none;padding:6px 10px;border-radius:6px;margin:2px 0 6px;font-weight:600}
.unlearn-banner.clean{display:block;background:#d4edda;color:#155724}
.unlearn-banner.warn{display:block;background:#ffe0b2;color:#7a3e00}
.unlearn-row{display:flex;gap:12px;align-items:flex-start}
.unlearn-left{flex:0 0 60%;min-width:0}.unlearn-right{flex:1 1 40%;min-width:0}
.unlearn-grid{display:grid;gap:8px}.unlearn-grid>div{min-width:0}
.unlearn-player .map-key{margin:2px 0 6px;line-height:1.35}
.unlearn-player .story-caption{border-left:4px solid #4c78a8;background:#f1f5fa;color:#1b2733;padding:6px 10px;
  margin:0 0 6px;border-radius:4px}
`;

/* ============================== the player ============================== */
function unlearnCreatePlayer(root, send, plotlyUrl) {
  const S = {
    static: null, target: null, targetXY: null, captions: [], lanes: [], steps: [], shown: 0, served: null,
    playing: false, waiting: false, pendingSteps: 0, started: false, speed: "1", selected: null,
    overlay: null, colourBy: "pred",
    sentSelected: null, noClickUntil: 0, endSent: new Set(), autoplayServed: null, standalone: !send, seq: 0,
    req: { at: -1e12, served: null }, timer: null, selTimer: null, plotly: null, detachedAt: null,
    layoutLanes: -1, layoutStatic: null, maps: [], curves: {}, lastFed: null, destroyed: false,
    behindUntil: 0, behindMs: 0, behindCount: 0,     // while now() < behindUntil glides are off (fallBehind)
  };

  /* ---------- DOM: controls, banner, body (the body is rebuilt when the number of lanes changes) ---------- */
  if (!document.getElementById("unlearn-player-css")) {
    const css = document.createElement("style");
    css.id = "unlearn-player-css";
    css.textContent = UNLEARN_PLAYER_CSS;
    document.head.appendChild(css);
  }
  root.classList.add("unlearn-player");
  root.innerHTML = `<div class="unlearn-controls">
      <button type="button" data-action="run">Run</button><button type="button" data-action="step">Step</button>
      <button type="button" data-action="replay">Replay</button><button type="button" data-action="reset">Reset</button>
      <select class="unlearn-speed" title="speed">${UNLEARN_PLAYER_SPEEDS.map(([v, t]) =>
        `<option value="${v}"${v === "1" ? " selected" : ""}>${t}</option>`).join("")}</select>
      <select class="unlearn-colour" title="what the diamonds' colour says" style="display:none">
        <option value="pred">colour: predicted class</option><option value="overlay"></option></select>
      <input type="range" class="unlearn-timeline" min="0" max="0" step="1" value="0" title="timeline">
      <span class="unlearn-status" data-step="0"></span></div>
    <div class="unlearn-banner" role="status"></div><div class="unlearn-body"></div>`;
  const $ = (sel) => root.querySelector(sel);
  const runBtn = $('[data-action="run"]'), speedSel = $(".unlearn-speed"), timeline = $(".unlearn-timeline");
  const statusEl = $(".unlearn-status"), bannerEl = $(".unlearn-banner"), body = $(".unlearn-body");
  let tip = document.getElementById("unlearn-hover-image");     // one hover image per page
  if (!tip) {
    tip = document.createElement("img");
    tip.id = "unlearn-hover-image";
    tip.alt = "sample image";
    tip.style.cssText = "position:fixed;z-index:100000;pointer-events:none;display:none;width:96px;height:96px;" +
      "image-rendering:pixelated;background:#fff;border:1px solid #888;border-radius:4px;" +
      "box-shadow:0 2px 8px rgba(0,0,0,.25);object-fit:contain";
    document.body.appendChild(tip);
  }

  /* ---------- what the browser holds ---------- */
  const now = () => performance.now();
  const style = () => (S.static && S.static.style) || {};
  const lastStep = (lane) => (lane.frames.length ? lane.frames[lane.frames.length - 1].step : null);
  const plots = () => [...S.maps.map((m) => m.gd), ...Object.values(S.curves)];
  const heldCount = () => S.lanes.reduce((n, l) => n + l.frames.length, 0);
  const finished = (lane) => lane.state === "done" || lane.state === "failed";
  // Every frame of a finished lane is here (a failed lane without `final` has nothing more to send).
  const complete = (lane) => finished(lane) && (!lane.final || (lastStep(lane) != null && lastStep(lane) >= lane.final.step));
  const allComplete = () => S.lanes.length > 0 && S.lanes.every(complete);
  // Frames may still come: a lane records, one was asked to start, or a finished lane's tail is missing.
  const live = () => S.lanes.some((l) => l.state === "recording" || (l.state === "idle" && S.started) ||
                                         (finished(l) && !complete(l)));
  const anyIdle = () => S.lanes.some((l) => l.state === "idle");
  const lastTimeline = () => (S.steps.length ? S.steps[S.steps.length - 1] : 0);
  const nextStep = () => S.steps.find((s) => s > S.shown);
  function frameAt(lane, s) {              // the lane's frame at step s: a stopped lane holds its last frame
    let f = null;
    for (const fr of lane.frames) { if (fr.step <= s) f = fr; else break; }
    return f || lane.frames[0] || null;
  }
  function mapFramesUpTo(lane, s) {
    const out = [];
    for (const fr of lane.frames) { if (fr.step > s) break; if (fr.map && fr.map.xy) out.push(fr); }
    if (!out.length) { const first = lane.frames.find((fr) => fr.map && fr.map.xy); if (first) out.push(first); }
    if (!out.length && lane.preview) out.push(lane.preview);     // the engine's first step has not come yet
    return out;
  }

  /* ---------- requests to the server (component mode only) ---------- */
  function have() {
    const lanes = {};
    for (const l of S.lanes) if (l.id != null) lanes[l.id] = l.frames.length;
    return { static: S.static ? S.static.id : null, lanes };
  }
  function request(kind, extra) {
    if (!send || S.standalone) return;
    S.req = { at: now(), served: S.served };
    send(Object.assign({ kind, have: have(), seq: ++S.seq }, extra || {}));
  }
  // "want": about every 400 ms while frames may come, once the previous request was answered (or 5 s passed).
  // (A root out of the page for 5 s is gone: its timers stop. Streamlit may move it briefly.)
  const pulse = setInterval(() => {
    if (!root.isConnected) { S.detachedAt = S.detachedAt ?? now(); if (now() - S.detachedAt > 5000) destroy(); return; }
    S.detachedAt = null;
    if (!send || S.standalone || !(live() || !S.static)) return;
    const since = now() - S.req.at;
    // Run pressed and a lane still idle: ask to start again, not only for frames. Streamlit keeps one pending
    // trigger per component, so a "want" sent before the server took up "run" replaced it, and the engine
    // never started (starting twice does nothing).
    if (since >= 400 && (S.served !== S.req.served || since >= 5000)) request(S.started && anyIdle() ? "run" : "want");
  }, 200);

  /* ---------- data in ---------- */
  // An overlay (per-sample privacy, once computed) can colour the diamonds instead of the predicted class.
  const colourSel = $(".unlearn-colour");
  colourSel.addEventListener("change", () => {
    S.colourBy = colourSel.value;
    const key = body.querySelector(".map-key");
    if (key && S.static) key.innerHTML = mapKey();
    render(false);
  });
  function feedOverlay(overlay) {
    if (JSON.stringify(overlay) === JSON.stringify(S.overlay)) return;
    S.overlay = overlay;
    colourSel.style.display = overlay ? "" : "none";
    if (overlay) colourSel.options[1].textContent = `colour: ${overlay.name}`;
    if (!overlay) { S.colourBy = "pred"; colourSel.value = "pred"; }
    render(false);
  }
  // A score in [0, 1] as a colour of the overlay's scale (linear between its stops); no score: grey.
  function overlayColour(score) {
    if (score == null || !Number.isFinite(score)) return "#9e9e9e";
    const stops = S.overlay.scale, hex = (c) => [1, 3, 5].map((k) => parseInt(c.slice(k, k + 2), 16));
    let j = 1;
    while (j < stops.length - 1 && score > stops[j][0]) j++;
    const [t0, c0] = stops[j - 1], [t1, c1] = stops[j], u = t1 > t0 ? (score - t0) / (t1 - t0) : 0;
    const a = hex(c0), b = hex(c1);
    return "#" + a.map((v, k) => Math.round(v + u * (b[k] - v)).toString(16).padStart(2, "0")).join("");
  }
  function byOverlay() { return S.colourBy === "overlay" && S.overlay; }

  function feed(data) {
    if (!data || S.destroyed) return;
    S.lastFed = data;
    S.standalone = !send || !!data.standalone;
    S.served = data.served;
    feedOverlay(data.overlay || null);
    if (data.static && (!S.static || S.static.id !== data.static.id)) {
      // The first map a player gets may name the speed to start at (the URL's speed): the nearest on the menu.
      const start = !S.static && data.static.style && Number(data.static.style.speed);
      if (start) {
        const menu = [0.25, 0.5, 1, 2, 4];
        const near = menu.reduce((a, b) => (Math.abs(b - start) < Math.abs(a - start) ? b : a));
        S.speed = speedSel.value = String(near);
      }
      S.static = data.static;
    }
    if (data.target !== undefined && data.target !== S.target) { S.target = data.target; S.targetXY = null; }
    S.captions = data.captions || [];
    const incoming = data.lanes || [];
    if (incoming.length !== S.lanes.length) S.lanes = incoming.map(() => ({ id: null, frames: [] }));
    let gap = false, newSet = false;
    incoming.forEach((L, i) => {
      const H = S.lanes[i];
      if (H.id !== L.id) { H.id = L.id; H.frames = []; newSet = true; }     // a new recording: drop the old frames
      Object.assign(H, { title: L.title, state: L.state, final: L.final, error: L.error, preview: L.preview || null });
      const frames = L.frames || [], offset = L.offset || 0, held = H.frames.length;
      if (offset > held) gap = true;                                        // frames were lost on the way
      else if (offset + frames.length > held) H.frames.push(...frames.slice(held - offset));
    });
    S.steps = [...new Set(S.lanes.flatMap((l) => l.frames.map((f) => f.step)))].sort((a, b) => a - b);
    if (newSet) {
      S.shown = S.steps.length ? S.steps[0] : 0;
      // A recording the viewer asked for (Run pressed while idle) keeps playing; any other new set waits.
      if (!S.started) { S.playing = false; S.pendingSteps = 0; }
    }
    if (S.started && !anyIdle()) S.started = false;         // the engine has started: the lanes' states say the rest
    if (S.steps.length && !S.steps.includes(S.shown)) S.shown = S.steps.filter((s) => s <= S.shown).pop() ?? S.steps[0];
    if (gap) request("want");
    if (data.autoplay && data.served !== S.autoplayServed) { S.autoplayServed = data.served; S.playing = true; }
    root.setAttribute("data-frames", String(heldCount()));
    if (!S.plotly) return;
    ensureLayout();
    const key = body.querySelector(".map-key");
    if (key && S.static) key.innerHTML = mapKey();         // (a target that arrived adds the stars' entry)
    drawCurves();
    const next = nextStep();
    if (S.pendingSteps && (next != null || !live())) showPendingSteps();
    else if (S.playing && !S.timer) { S.due = now(); tick(); }   // waiting for the engine: go on with what arrived
    else render(false);
  }

  /* ---------- the clock ---------- */
  const period = () => (S.speed === "computed" ? 300 : 500 / Number(S.speed));   // 1x = 2 steps a second
  const glideMs = (ms) => Math.max(0, Math.min(ms * 0.7, 1000));   // (the rest of the period: drawing it)
  function schedule(ms) { clearTimeout(S.timer); S.timer = setTimeout(tick, ms); }
  // The next step is due one period after the last was due (not after drawing it, which takes time of its
  // own); a late clock catches up by at most half a period.
  function scheduleNext(ms) {
    S.due = Math.max((Number.isFinite(S.due) ? S.due : now()) + ms, now() - ms / 2);
    schedule(Math.max(0, S.due - now()));
  }
  function stopClock() { clearTimeout(S.timer); S.timer = null; }
  // A glide costs the browser about three times a jump (plotly re-renders every point each animation frame:
  // 0.30 against 0.11 CPU seconds a step, 300 points: python -m bench.glide_cost). A page that cannot keep time
  // (its timer fires late, or a glide overruns or stutters) drops the glides for a while, never the steps: the
  // clock is what the viewer was promised. The while doubles each time the page falls behind again soon after
  // gliding again (4 s, 8 s, ... 1 min), and starts over at 4 s once glides kept time for as long as they were
  // last off. Five students' browsers on one shared machine then play at 1x instead of in slow motion.
  const BEHIND_MS = 4000, BEHIND_MAX_MS = 60000, MIN_GLIDE_FPS = 20;
  function fallBehind() {
    if (now() < S.behindUntil) { S.behindUntil = Math.max(S.behindUntil, now() + S.behindMs); return; }
    const again = S.behindMs && now() < S.behindUntil + S.behindMs;     // glides were back only briefly
    S.behindMs = again ? Math.min(BEHIND_MAX_MS, 2 * S.behindMs) : BEHIND_MS;
    S.behindUntil = now() + S.behindMs;
    S.behindCount += 1;
    root.setAttribute("data-glide", "off");
  }
  function canGlide() {
    if (now() < S.behindUntil) return false;
    root.setAttribute("data-glide", "on");
    return true;
  }
  function tick() {
    S.timer = null;
    if (!S.playing || S.destroyed) return;
    if (Number.isFinite(S.due) && now() - S.due > period() / 4) fallBehind();   // the timer itself came late
    const next = nextStep();
    if (S.speed === "computed") {
      if (live()) {                                        // each newest frame as it arrives
        const newest = lastTimeline();
        S.waiting = newest <= S.shown;
        if (newest > S.shown) show(newest, true, period()); else render(false);
        return;                                            // the next arrival calls tick again
      }
      if (next == null) return finish();
      // A finished run replays at the pace the engine computed it (its own clock, 40 ms .. 2 s a step).
      const secs = (s) => { const f = frameAt(S.lanes[0], s); return f ? f.seconds || 0 : 0; };
      const ms = Math.max(40, Math.min(2000, 1000 * (secs(next) - secs(S.shown))));
      return advance(next, ms);
    }
    if (next != null) return advance(next, period());
    if (live()) { S.waiting = true; return render(false); }   // at the newest frame: feed() resumes
    finish();
  }
  function advance(step, ms) {
    const end = step >= lastTimeline() && allComplete();     // the last frame of a finished run: stop there
    if (end) S.playing = false;
    show(step, true, ms);
    if (!end) scheduleNext(ms);
  }
  function finish() { S.playing = false; S.waiting = false; render(false); }
  function show(step, glide, ms) {
    S.shown = step;
    S.waiting = false;
    render(glide, ms);
  }
  function play() { S.playing = true; S.pendingSteps = 0; S.due = now(); stopClock(); tick(); }
  // Step clicks ahead of the frames (the engine has not computed them yet) are counted, never merged: as frames
  // arrive the player moves on by as many steps as were clicked, and a run that stops first ends the count
  // (the banner then says where it stopped).
  function showPendingSteps() {
    let target = null;
    while (S.pendingSteps > 0) {
      const next = S.steps.find((s) => s > (target ?? S.shown));
      if (next == null) break;
      target = next; S.pendingSteps -= 1;
    }
    if (!live() && nextStep() == null) S.pendingSteps = 0;
    if (target != null) show(target, true, period()); else render(false);
  }

  /* ---------- controls ---------- */
  function act(action) {
    const first = S.steps.length ? S.steps[0] : 0;
    if (action === "run") {
      if (anyIdle()) { S.started = true; request("run"); }
      else if (allComplete() && S.shown >= lastTimeline()) S.shown = first;   // Run at the end plays it again
      play();
    } else if (action === "pause") {
      S.playing = false; S.waiting = false; S.pendingSteps = 0; stopClock(); render(false);
    } else if (action === "step") {
      S.playing = false; stopClock();
      if (anyIdle()) { S.started = true; request("step"); }
      const next = nextStep();
      if (next != null && !anyIdle() && !S.pendingSteps) show(next, true, period());
      else if (live() || anyIdle()) { S.pendingSteps += 1; render(false); }  // shown as soon as it arrives
      else render(false);                                                    // a stopped run: the banner says so
    } else if (action === "replay") {
      S.shown = first; S.pendingSteps = 0; S.playing = true; render(false); S.due = now(); scheduleNext(period());
    } else if (action === "reset") {
      S.playing = false; S.waiting = false; S.pendingSteps = 0; stopClock(); S.shown = first; render(false);
    }
  }
  root.querySelector(".unlearn-controls").addEventListener("click", (ev) => {
    const btn = ev.target.closest("button[data-action]");
    if (btn) act(btn.getAttribute("data-action"));
  });
  speedSel.addEventListener("change", () => {
    S.speed = speedSel.value;
    if (S.playing) { S.due = now(); if (S.speed === "computed") schedule(0); else scheduleNext(period()); }
  });
  timeline.addEventListener("input", () => {               // dragging pauses and jumps (no glide)
    S.playing = false; S.waiting = false; S.pendingSteps = 0; stopClock();
    const v = Number(timeline.value);
    const s = S.steps.filter((x) => x <= v).pop();
    if (s != null && s !== S.shown) show(s, false); else render(false);
  });

  /* ---------- render: status, banner, timeline, maps, markers, caption ---------- */
  function render(glide, ms) {
    if (S.destroyed) return;
    const s = S.shown, last = lastTimeline(), done = allComplete();
    const several = S.lanes.length > 1;
    runBtn.setAttribute("data-action", S.playing ? "pause" : "run");
    runBtn.textContent = S.playing ? "Pause" : "Run";
    timeline.min = S.steps.length ? S.steps[0] : 0;
    timeline.max = last;
    timeline.value = s;
    timeline.disabled = S.steps.length < 2;
    // Status: Step N, round r, 0.41 s of engine compute, playing|paused|waiting for the engine|stopped
    const word = (S.playing && S.waiting) || S.pendingSteps || (S.playing && !S.steps.length) ? "waiting for the engine"
      : S.playing ? "playing" : done && s >= last ? "stopped" : "paused";
    const parts = [`Step ${s}`];
    const f0 = S.lanes.length ? frameAt(S.lanes[0], s) : null;
    if (f0 && f0.round != null) parts.push(`round ${f0.round}`);
    const secs = S.lanes.map((l) => { const f = frameAt(l, s); return f ? (f.seconds || 0).toFixed(2) : null; });
    if (!several && secs[0] != null) parts.push(`${secs[0]} s of engine compute`);
    if (several && secs.some((x) => x != null)) {
      parts.push(S.lanes.map((l, i) => `${l.title} ${secs[i] ?? "-"} s`).join(", ") + " of engine compute");
    }
    parts.push(S.pendingSteps > 1 ? `${word} (${S.pendingSteps} steps asked)` : word);
    statusEl.textContent = parts.join(" \u00b7 ");     // (escaped: the file stays ASCII in any page)
    statusEl.setAttribute("data-step", String(s));
    statusEl.setAttribute("data-state", word.split(" ")[0]);
    root.setAttribute("data-step", String(s));
    // Banner: where a finished run stopped (several lanes: once all have stopped, at the timeline's end).
    let banner = "", clean = false;
    if (!several && S.lanes.length && complete(S.lanes[0]) && S.lanes[0].frames.length && s >= lastStep(S.lanes[0])) {
      const l = S.lanes[0];
      banner = l.final ? `Stopped at step ${l.final.step}: ${l.final.reason}`
        : `Stopped at step ${lastStep(l)}: the run failed${l.error ? ": " + l.error : ""}`;
      clean = !!(l.final && l.final.clean);
    } else if (several && done && s >= last) {
      banner = "All methods have stopped: " +
        S.lanes.map((l) => `${l.title} at step ${l.final ? l.final.step : lastStep(l)}`).join(", ");
      clean = S.lanes.every((l) => l.final && l.final.clean);
    }
    bannerEl.textContent = banner;
    bannerEl.className = "unlearn-banner" + (banner ? (clean ? " clean" : " warn") : "");
    // The first time playback reaches a finished run's last frame, the page may show the results.
    const setKey = S.lanes.map((l) => l.id).join("|");
    if (done && S.steps.length && s >= last && !S.endSent.has(setKey)) { S.endSent.add(setKey); request("end"); }
    const caption = S.captions.filter((c) => c.step <= s).pop();
    for (const el of root.querySelectorAll(".story-caption")) {
      el.style.display = caption ? "block" : "none";
      el.textContent = caption ? caption.text : "";
    }
    if (!S.plotly || !S.static) return;
    S.maps.forEach((m, i) => drawMap(m, i, glide, ms));
    for (const gd of Object.values(S.curves)) {
      if (gd.__markerAt === s || !gd.layout) continue;
      gd.__markerAt = s;
      // The whole shape, not shapes[0].x0: plotly redraws one replaced shape (~2 ms) but recomputes the whole
      // chart for an edited attribute of it (~30 ms a chart on a busy 2-core machine, three charts a step).
      S.plotly.relayout(gd, { "shapes[0]": Object.assign({}, gd.layout.shapes[0], { x0: s, x1: s }) });
    }
  }

  /* ---------- layout: one plot per lane, created once per lane count and kept ---------- */
  function ensureLayout() {
    if (!S.static || (S.layoutLanes === S.lanes.length && S.layoutStatic === S.static.id)) return;
    if (S.layoutLanes === S.lanes.length && S.maps.length) {      // another map, same lanes: keep the plots
      S.layoutStatic = S.static.id;
      S.maps.forEach((m) => { m.sig = null; });
      body.querySelector(".map-key").innerHTML = mapKey();
      return;
    }
    for (const gd of plots()) S.plotly.purge(gd);
    S.layoutLanes = S.lanes.length;
    S.layoutStatic = S.static.id;
    const st = style(), n = S.lanes.length;
    root.style.setProperty("--unlearn-font", `${(st.font || 12) + 1}px`);
    const plot = (cls) => `<div class="unlearn-plot ${cls}"></div>`;
    const maps = S.lanes.map((_, i) => plot(`unlearn-map" data-lane="${i}`)).join("");
    const key = `<div class="map-key"></div>`, caption = `<div class="story-caption" style="display:none"></div>`;
    if (n <= 1) {
      body.innerHTML = `<div class="unlearn-row"><div class="unlearn-left">${maps}${key}</div>
        <div class="unlearn-right">${caption}${["acc", "loss", "cluster"].map((c) => plot(`unlearn-${c}`)).join("")}</div>
        </div>`;
    } else {
      const cols = n === 4 ? 2 : n;
      body.innerHTML = `<div class="unlearn-grid" style="grid-template-columns:repeat(${cols},minmax(0,1fr))">${maps}</div>
        ${key}${caption}<div class="unlearn-grid" style="grid-template-columns:repeat(2,minmax(0,1fr))">
        ${plot("unlearn-acc")}${plot("unlearn-cluster")}</div>`;
    }
    body.querySelector(".map-key").innerHTML = mapKey();
    S.maps = [...body.querySelectorAll(".unlearn-map")].map((gd) => ({ gd, busy: false, pending: null, sig: null }));
    S.curves = {};
    S.curvesSig = null;
    for (const name of ["acc", "loss", "cluster"]) {
      const gd = body.querySelector(`.unlearn-${name}`);
      if (gd) S.curves[name] = gd;
    }
  }

  function mapKey() {
    const st = S.static, names = st.class_names;
    const sw = (c) => `<span style="white-space:nowrap"><span style="color:${st.colors[c]}">&#9632;</span>` +
      `&#8239;${unlearnEsc(names[c])}</span>`;
    const rest = new Set(), forget = new Set();
    st.labels.forEach((c, i) => (st.is_forget[i] ? forget : rest).add(c));
    const own = [...forget].filter((c) => !rest.has(c)).sort((a, b) => a - b);
    const diamond = byOverlay()
      ? `<b>&#9670;</b> forget sample, coloured by ${unlearnEsc(S.overlay.name)}: <span style="color:` +
        `${overlayColour(0)}">&#9632;</span> still looks seen, <span style="color:${overlayColour(1)}">&#9632;</span> ` +
        `looks never seen, <span style="color:${overlayColour(null)}">&#9632;</span> no score`
      : `<b>&#9670;</b> forget sample, in the colour of the class the model now predicts` +
        (own.length ? ` (its own: ${own.map(sw).join(" ")})` : "");
    const parts = [diamond,
                   `<b>&#9675;</b> its start` + (st.style.trails ? `, <b>&#9472;</b> its trail` : ""),
                   `<b>&#9679;</b> other samples, by true class: ${[...rest].sort((a, b) => a - b).map(sw).join(" ")}`];
    if (S.target) parts.push(`<b>&#9733;</b> where the retrained model puts them`);
    return parts.join(" &nbsp;&middot;&nbsp; ");
  }

  /* ---------- maps ---------- */
  const mapHeight = () => {
    const h = style().map_height || 560, n = S.lanes.length;
    return n <= 1 ? h : Math.round(h * (n === 4 ? 0.6 : 0.72));       // several maps share the width
  };
  function hoverText(i, m) {
    const st = S.static, names = st.class_names;
    const score = S.overlay && S.overlay.scores[i];
    return `true: ${unlearnEsc(names[st.labels[i]])}<br>predicted: ${unlearnEsc(names[m.pred[i]] ?? m.pred[i])} ` +
      `(${m.conf[i]}%)<br>training sample #${st.train_index[i]}` +
      (score != null ? `<br>${unlearnEsc(S.overlay.name)}: ${score.toFixed(2)} (0: still looks seen, 1: looks never seen)` : "");
  }
  // What a lane's map shows at step s; the same key means nothing to redraw.
  function mapView(lane, s) {
    const frames = mapFramesUpTo(lane, s), f = frameAt(lane, s);
    const stopped = !!(finished(lane) && f && f.step < s), cur = frames[frames.length - 1];
    const key = [S.static.id, lane.id, cur && cur.step, f && f.step, stopped, S.selected, !!S.target, frames.length,
                 byOverlay() ? "overlay" : "pred"];
    return { frames, f, stopped, key: key.join("|") };
  }
  function mapFigure(lane, s, view) {
    const st = S.static, sty = st.style || {}, P = st.labels.length, font = sty.font || 12;
    const { frames, f, stopped } = view, cur = frames[frames.length - 1], start = frames[0];
    const m = cur ? unlearnDecodeMap(cur, st) : null, m0 = start ? unlearnDecodeMap(start, st) : null;
    const ok = (d, i) => d && Number.isFinite(d.x[i]) && Number.isFinite(d.y[i]);     // NaN points are skipped
    const rest = [], forget = [];
    for (let i = 0; i < P; i++) if (ok(m, i)) (st.is_forget[i] ? forget : rest).push(i);
    // ids: plotly matches points across frames by id, so a point that was skipped does not shift the others.
    const trace = (rows, d, extra) => Object.assign({ type: "scatter", mode: "markers", x: rows.map((i) => d.x[i]),
      y: rows.map((i) => d.y[i]), ids: rows.map(String), customdata: rows }, extra);
    const tips = (rows, name) => ({ text: rows.map((i) => hoverText(i, m)), hovertemplate: `%{text}<extra>${name}</extra>` });
    // Trails: each forget sample's positions at the map frames so far, at most 32 points, evenly subsampled.
    const tx = [], ty = [];
    if (sty.trails && frames.length > 1) {
      const k = Math.min(frames.length, 32), picks = [];
      for (let j = 0; j < k; j++) picks.push(unlearnDecodeMap(frames[Math.round((j * (frames.length - 1)) / (k - 1))], st));
      for (const i of forget) {
        for (const d of picks) if (ok(d, i)) { tx.push(d.x[i]); ty.push(d.y[i]); }
        tx.push(null); ty.push(null);
      }
    }
    const starts = forget.filter((i) => ok(m0, i));
    const traces = [
      { type: "scatter", mode: "lines", x: tx, y: ty, hoverinfo: "skip", connectgaps: false,
        line: { width: sty.trail_width || 1, color: "rgba(60,60,60,0.45)" } },
      trace(starts, m0, { hoverinfo: "skip", marker: { size: sty.start_point || 5, symbol: "circle-open",
        color: "rgba(60,60,60,0.6)", line: { width: sty.trail_width || 1 } } }),
      trace(rest, m, Object.assign(tips(rest, "remaining"), {
        marker: { size: sty.point || 6, color: rest.map((i) => st.colors[st.labels[i]]), opacity: 0.45 } })),
    ];
    // Stars: where the retrained model (the target) puts the forget samples.
    const T = S.target;
    if (T && T.xy && !S.targetXY) S.targetXY = unlearnXY(T.xy, st.bounds, T.rows.length);
    const stars = T && S.targetXY ? T.rows.map((_, k) => k).filter((k) => ok(S.targetXY, k)) : [];
    traces.push({ type: "scatter", mode: "markers", x: stars.map((k) => S.targetXY.x[k]),
      y: stars.map((k) => S.targetXY.y[k]), ids: stars.map((k) => "t" + k), customdata: stars.map((k) => T.rows[k]),
      text: stars.map((k) => `retrained model: predicted ${unlearnEsc(st.class_names[T.pred[k]] ?? T.pred[k])}`),
      hovertemplate: "%{text}<extra>target</extra>",
      marker: { symbol: "star", size: Math.round((sty.forget_point || 10) * 1.15), opacity: 0.8,
        color: stars.map((k) => st.colors[T.pred[k]] || "#888"), line: { width: 0.8, color: "#333" } } });
    // Ring around the selected sample (drawn under the diamonds; the diamonds stay the last trace).
    const sel = S.selected != null && ok(m, S.selected) ? [S.selected] : [];
    traces.push(trace(sel, m, { hoverinfo: "skip", marker: { symbol: "circle-open",
      size: Math.round((sty.forget_point || 10) * 2.2), color: "#111", line: { width: 2.5 } } }));
    traces.push(trace(forget, m, Object.assign(tips(forget, "forget sample"), { marker: { size: sty.forget_point || 10,
      symbol: "diamond", color: forget.map((i) => byOverlay() ? overlayColour(S.overlay.scores[i]) : st.colors[m.pred[i]] || "#888"),
      line: { width: 1.5 * (sty.trail_width || 1), color: "black" } } })));
    const [[x0, x1], [y0, y1]] = st.bounds;
    const axis = (range) => ({ range, showticklabels: false, showgrid: false, zeroline: false, ticks: "", title: null });
    const layout = { height: mapHeight(), margin: { l: 8, r: 8, t: font * 2 + 14, b: 8 }, showlegend: false,
      hovermode: "closest", font: { size: font }, plot_bgcolor: "white", paper_bgcolor: "white", uirevision: "map",
      title: { text: `${unlearnEsc(lane.title || "")}: step ${f ? f.step : s}` +
        (stopped ? " (stopped: its last frame)" : ""), x: 0.01, font: { size: font + 2 } },
      hoverlabel: { font: { size: font } }, xaxis: axis([x0, x1]), yaxis: axis([y0, y1]) };
    return { traces, layout };
  }

  // One plot per lane for the player's life: each frame is a Plotly.react into it (with a transition when
  // the shown step moved on by one, so the points glide). Frames asked for while one is drawn wait; only the
  // newest is drawn. A react whose promise never settles does not hold the map: go on after a margin.
  // A machine too slow to glide at this speed (the next step came before the last was drawn) gets jumps
  // until it has caught up: a glide costs the main thread, and the clock shares it.
  function drawMap(m, i, glide, ms) {
    if (m.busy) {        // a redraw of the same step (new data) keeps the pending step's glide
      const keep = m.pending && m.pending.step === S.shown && !glide;
      if (glide && m.drawing !== S.shown) m.hurryUntil = now() + 2000;
      m.pending = keep ? m.pending : { glide, ms, step: S.shown };
      return;
    }
    const lane = S.lanes[i];
    if (!lane) return;
    const view = mapView(lane, S.shown);
    if (view.key === m.sig) return;
    m.sig = view.key;
    const fig = mapFigure(lane, S.shown, view);
    const dur = glide && !(now() < m.hurryUntil) && canGlide() ? glideMs(ms || period()) : 0;
    fig.layout.transition = { duration: dur, easing: "cubic-in-out" };
    m.gd.style.height = `${fig.layout.height}px`;
    m.busy = true;
    m.drawing = S.shown;
    const began = now();
    let frames = 0;                       // animation frames the browser drew during the glide
    const countFrame = () => { if (m.busy) { frames += 1; requestAnimationFrame(countFrame); } };
    if (dur > 0) requestAnimationFrame(countFrame);
    Promise.race([new Promise((res) => res(S.plotly.react(m.gd, fig.traces, fig.layout, UNLEARN_PLAYER_CONFIG))),
                  new Promise((res) => setTimeout(res, dur + 3000))])
      .then(() => hookMap(m.gd))
      .catch((err) => console.error("unlearn player map:", err))
      .finally(() => {
        m.busy = false;
        // A glide that overran its time, or was drawn at under 20 frames a second, says the page is starved.
        const took = now() - began;
        if (dur > 0 && (took > 1.5 * dur + 100 || (1000 * frames) / took < MIN_GLIDE_FPS)) fallBehind();
        const p = m.pending;
        m.pending = null;
        if (p && !S.destroyed) drawMap(m, i, p.glide, p.ms);
      });
  }

  function hookMap(gd) {
    if (gd.__unlearnHooked || typeof gd.on !== "function") return;
    gd.__unlearnHooked = true;
    const probeOf = (ev) => {       // a sample point's customdata is its probe position
      const p = ev && ev.points && ev.points[0], c = p ? Number(p.customdata) : NaN;
      return p && p.customdata != null && Number.isFinite(c) ? c : null;
    };
    gd.on("plotly_hover", (ev) => {
      const probe = probeOf(ev), thumbs = S.static && S.static.thumbs;
      const src = probe != null && thumbs ? thumbs[probe] : null;
      if (!src) { tip.style.display = "none"; return; }
      const e = ev.event || {};
      tip.src = src;
      tip.style.left = `${Math.max(0, (e.clientX || 0) - 114)}px`;    // left of the pointer: plotly's tooltip is right
      tip.style.top = `${Math.max(0, (e.clientY || 0) - 48)}px`;
      tip.style.display = "block";
    });
    gd.on("plotly_unhover", () => { tip.style.display = "none"; });
    gd.addEventListener("mouseleave", () => { tip.style.display = "none"; });
    gd.on("plotly_click", (ev) => {
      const probe = probeOf(ev);
      if (probe == null || now() < S.noClickUntil) return;       // (the second click of a double-click)
      select(probe === S.selected ? null : probe);
    });
    // A double-click clears the selection. Plotly's own event is skipped while a transition runs and the DOM's
    // dblclick never reaches the plot (plotly's drag layer takes the mouse), so two presses are counted here too.
    const dbl = () => { S.noClickUntil = now() + 450; select(null); };
    gd.on("plotly_doubleclick", dbl);
    let press = null;
    gd.addEventListener("mousedown", (e) => {
      const t = now(), near = press && t - press.t < 450 && Math.abs(e.clientX - press.x) + Math.abs(e.clientY - press.y) < 8;
      press = near ? null : { t, x: e.clientX, y: e.clientY };
      if (near) dbl();
    }, true);
  }
  // A double-click is two clicks and a dblclick: the ring follows at once, the server hears the outcome once.
  function select(probe) {
    S.selected = probe;
    render(false);
    clearTimeout(S.selTimer);
    S.selTimer = setTimeout(() => {
      if (S.selected === S.sentSelected) return;
      S.sentSelected = S.selected;
      request("select", { probe: S.selected, step: S.shown });
    }, 300);
  }

  /* ---------- curves: every frame held (not only up to the shown step); a marker at the shown step ---------- */
  // shapes[0] of every curve chart is the marker (Plotly.relayout moves it in render()).
  function curveLayout(title, height, extra) {
    const font = style().font || 12;
    return Object.assign({ title: { text: title, x: 0.01, font: { size: font + 1 } }, height, font: { size: font },
      margin: { l: 55, r: 12, t: font * 2 + 12, b: font * 2 + 18 }, uirevision: title, plot_bgcolor: "white",
      paper_bgcolor: "white", hovermode: "x unified",
      xaxis: { title: { text: "step", standoff: 4 }, automargin: true, zeroline: false },
      shapes: [{ type: "line", xref: "x", yref: "paper", x0: S.shown, x1: S.shown, y0: 0, y1: 1,
        line: { color: "rgba(0,0,0,0.45)", width: 1.5 } }] }, extra);
  }
  function series(lane, get) {
    const x = [], y = [];
    for (const f of lane.frames) {
      const v = get(f);
      if (v != null && Number.isFinite(v)) { x.push(f.step); y.push(v); }
    }
    return { x, y };
  }
  function drawCurves() {
    if (!S.static || !S.lanes.length) return;
    // Redrawn only when what they show changed: a live page is fed every few hundred ms, mostly with nothing new,
    // and a react of three charts costs as much as a step's glide on a busy machine.
    const sig = [S.static.id, S.layoutLanes, !!S.target, ...S.lanes.map((l) => `${l.id}:${l.frames.length}:${l.state}`)]
      .join("|");
    if (sig === S.curvesSig) return;
    S.curvesSig = sig;
    const st = S.static, sty = st.style || {}, h = sty.chart_height || 260, w = sty.curve_width || 2;
    const font = sty.font || 12, small = Math.max(9, font - 1);
    const several = S.lanes.length > 1, first = S.steps.length ? S.steps[0] : 0;
    const laneColor = (i) => (st.lane_colors || [])[i] || UNLEARN_PLAYER_PALETTE[i % 10];
    const line = (xy, name, color, extra) => Object.assign({ type: "scatter", mode: "lines+markers", name,
      x: xy.x, y: xy.y, line: { color, width: w }, marker: { size: w + 3, color } }, extra);
    const evalOf = (key) => (f) => f.eval && f.eval[key];
    // Accuracy: 1 lane: every eval curve in its own colour; several: each lane's forget accuracy.
    const acc = [], thr = st.threshold || {}, dashed = { dash: "dash", width: w };
    if (!several) {
      const used = new Set();
      for (const c of st.curves || []) {              // distinct colours, never all black
        const color = c.color && !used.has(c.color) ? c.color : UNLEARN_PLAYER_PALETTE.find((p) => !used.has(p));
        used.add(color);
        acc.push(line(series(S.lanes[0], evalOf(c.key)), c.label || c.key, color));
      }
    } else {
      const key = st.mode === "sample" ? "forget_train_acc" : "forget_test_acc";
      S.lanes.forEach((l, i) => acc.push(line(series(l, evalOf(key)), l.title, laneColor(i))));
    }
    if (thr.kind === "constant") {
      acc.push({ type: "scatter", mode: "lines", name: thr.label || "threshold", y: [thr.value, thr.value],
        x: [first, Math.max(lastTimeline(), first + 1)], line: Object.assign({ color: "firebrick" }, dashed) });
    } else if (thr.kind === "curve") {               // each model's own test accuracy (several: in its lane's colour)
      S.lanes.forEach((l, i) => {
        const color = several ? laneColor(i) : "firebrick";
        acc.push(line(series(l, evalOf(thr.key)), several ? `${l.title}: threshold` : thr.label || "threshold", color,
          { line: Object.assign({ color }, dashed), opacity: several ? 0.6 : 1 }));
      });
    }
    S.lanes.forEach((l, i) => {                     // where each run stopped, once it has
      if (!complete(l) || !l.final) return;
      const color = several ? laneColor(i) : l.final.clean ? "firebrick" : "grey";
      acc.push({ type: "scatter", mode: "lines", name: `stopped at step ${l.final.step}`, showlegend: !several,
        x: [l.final.step, l.final.step], y: [0, 1], line: { color, dash: "dot", width: w },
        hovertext: [l.final.reason, l.final.reason], hoverinfo: "text" });
    });
    // The legend goes under the plot (inside, it would cover the curves wherever they run); the chart grows by it.
    const rows = Math.ceil(acc.filter((t) => t.showlegend !== false).length / (several ? 4 : 2));
    react(S.curves.acc, acc, curveLayout("Accuracy on the eval sets", h + rows * (small + 8), {
      legend: { orientation: "h", x: 0, xanchor: "left", y: -0.12, yanchor: "top", font: { size: small } },
      xaxis: { automargin: true, zeroline: false, title: { text: "" } },
      yaxis: { range: [-0.03, 1.03], tickformat: ".0%", automargin: true, title: { text: "accuracy", standoff: 4 } } }));
    // Loss terms (1 lane): their scales differ, so L_UL above and L_CE below on axes of their own.
    const stacked = (top, bottom) => ({
      xaxis: { title: { text: "step", standoff: 4 }, anchor: "y2", automargin: true, zeroline: false },
      yaxis: Object.assign({ automargin: true }, top), yaxis2: Object.assign({ automargin: true }, bottom) });
    if (S.curves.loss) {
      const loss = (key) => series(S.lanes[0], (f) => f.losses && f.losses[key]);
      react(S.curves.loss, [
        line(loss("L_UL"), "L_UL (contrastive)", "#1f77b4", { mode: "lines", yaxis: "y" }),
        line(loss("L_CE"), "L_CE (cross-entropy)", "#ff7f0e", { mode: "lines", yaxis: "y2" }),
      ], curveLayout("Loss terms", h, Object.assign({ showlegend: false },
        stacked({ title: { text: "L_UL" }, domain: [0.56, 1] }, { title: { text: "L_CE" }, domain: [0, 0.44] }))));
    }
    // Leaving the cluster: own_class_knn above, centroid_margin below; the retrained model's as dotted lines.
    const cl = [], base = curveLayout("Leaving the cluster", Math.round(h * 1.35), {});
    const shapes = base.shapes.concat([{ type: "line", xref: "paper", x0: 0, x1: 1, yref: "y2", y0: 0, y1: 0,
      line: { color: "lightgrey", width: 1 } }]);
    S.lanes.forEach((l, i) => {
      const opts = (yaxis, showlegend) => ({ legendgroup: l.title, yaxis, showlegend });
      cl.push(line(series(l, (f) => f.embedding && f.embedding.own_class_knn), l.title, laneColor(i), opts("y", several)));
      cl.push(line(series(l, (f) => f.embedding && f.embedding.centroid_margin), l.title, laneColor(i), opts("y2", false)));
    });
    // Panel titles as annotations above each panel (long rotated axis titles would clip at the left).
    const notes = [["own-class kNN share (1: still in its cluster)", 1],
                   ["centroid margin (above 0: nearer another class)", 0.44]].map(([text, y]) => ({ xref: "paper", x: 0,
      yref: "paper", y, text, showarrow: false, xanchor: "left", yanchor: "bottom", font: { size: small } }));
    const meas = S.target && S.target.measures;
    for (const [yref, k] of [["y", "own_class_knn"], ["y2", "centroid_margin"]]) {
      if (!meas || meas[k] == null) continue;
      shapes.push({ type: "line", xref: "paper", x0: 0, x1: 1, yref, y0: meas[k], y1: meas[k],
        line: { color: "grey", dash: "dot", width: w } });
      notes.push({ xref: "paper", x: 1, yref, y: meas[k], text: `retrain ${Number(meas[k]).toFixed(2)}`, showarrow: false,
        xanchor: "right", yanchor: "bottom", font: { size: Math.max(9, font - 2), color: "grey" } });
    }
    react(S.curves.cluster, cl, Object.assign(base, { shapes, annotations: notes,
      legend: { orientation: "h", x: 0.35, y: 1.0, yanchor: "bottom", font: { size: small } } },
      stacked({ domain: [0.58, 0.94], range: [-0.05, 1.05] }, { domain: [0, 0.38] })));
  }
  function react(gd, traces, layout) {
    if (!gd) return;
    gd.style.height = `${layout.height}px`;
    gd.__markerAt = S.shown;
    try { S.plotly.react(gd, traces, layout, UNLEARN_PLAYER_CONFIG); }
    catch (err) { console.error("unlearn player curves:", err); }
  }

  /* ---------- life ---------- */
  // Width follows the container (a column that narrows without a window resize too).
  const resizer = typeof ResizeObserver === "function" ? new ResizeObserver(() => {
    clearTimeout(S.resizeTimer);
    S.resizeTimer = setTimeout(() => {
      if (!S.plotly) return;
      for (const gd of plots()) if (gd.layout) S.plotly.Plots.resize(gd);
    }, 150);
  }) : null;
  if (resizer) resizer.observe(root);
  function destroy() {
    if (S.destroyed) return;
    S.destroyed = true;
    stopClock(); clearInterval(pulse); clearTimeout(S.selTimer);
    if (resizer) resizer.disconnect();
    tip.style.display = "none";
    if (S.plotly) for (const gd of plots()) S.plotly.purge(gd);
    if (root.__unlearnPlayer === api) delete root.__unlearnPlayer;
  }
  const api = { feed, destroy, act, state: S, setSend(fn) { send = fn; } };
  root.__unlearnPlayer = api;
  unlearnPlayerLoadPlotly(plotlyUrl || UNLEARN_PLAYER_PLOTLY_URL)
    .then((Plotly) => {
      if (S.destroyed) return;
      S.plotly = Plotly;
      if (S.lastFed) feed(S.lastFed); else render(false);
    })
    .catch((err) => { body.textContent = `The player could not load plotly.js: ${err.message}`; });
  return api;
}

/* ============================== entry points ============================== */
// The Streamlit component (Components v2): called again with the same parentElement on every data change.
function unlearnPlayerComponent(component) {
  const el = component.parentElement;
  let player = el.__unlearnPlayer;
  const send = (event) => component.setTriggerValue("event", event);
  if (!player) {
    player = unlearnCreatePlayer(el, send, component.data && component.data.plotly_url);
  } else {
    player.setSend(send);
  }
  player.feed(component.data);
  return () => player.destroy();
}

// The downloaded HTML figure: every frame in `data`, plotly.js already on the page, nothing requested.
function unlearnMountPlayer(element, data) {
  const player = element.__unlearnPlayer || unlearnCreatePlayer(element, null);
  player.feed(Object.assign({}, data, { standalone: true }));
  return player;
}

if (typeof window !== "undefined") {
  window.unlearnPlayerComponent = unlearnPlayerComponent;
  window.unlearnMountPlayer = unlearnMountPlayer;
}
