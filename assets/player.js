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
.unlearn-map{position:relative;display:flex;flex-direction:column;background:#fff;contain:layout paint style}
.unlearn-map canvas{display:block;flex:1 1 auto;min-height:0;width:100%}
.unlearn-map-title{flex:0 0 auto;padding:8px 8px 4px;font-size:calc(var(--unlearn-font,13px) + 1px);white-space:nowrap;
  overflow:hidden;text-overflow:ellipsis}
.unlearn-map-tip{position:absolute;display:none;pointer-events:none;z-index:2;background:#fff;color:#222;
  border:1px solid #888;border-left-width:4px;border-radius:3px;padding:3px 7px;white-space:nowrap;
  box-shadow:0 1px 4px rgba(0,0,0,.2);font-size:var(--unlearn-font,13px)}
.unlearn-map-tip-name{display:block;color:#666;font-size:.85em}
.unlearn-curve{position:relative}.unlearn-plot{contain:layout paint style}
.unlearn-step-marker{position:absolute;left:0;width:0;border-left:1.5px solid rgba(0,0,0,.45);pointer-events:none;
  z-index:1;will-change:transform}
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
    dataGen: 0, feedUrl: null, feedBroken: null, feedAnswers: 0, feedFailures: 0,   // the feed route (fetchFeed)
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
  const plots = () => Object.values(S.curves);        // the plotly charts (the maps are canvases)
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
    if (kind === "want" && S.feedUrl) return fetchFeed(S.feedUrl);
    send(Object.assign({ kind, have: have(), seq: ++S.seq }, extra || {}));
  }
  // New frames fetched from the server's feed route (serve.py): no Streamlit rerun, so the page around the player
  // is not re-rendered for them. A route that fails (the server restarted) sends the player back to reruns.
  // An answer is dropped when Streamlit's data came meanwhile (the two channels do not keep order: an answer
  // for the settings before a change must not bring their lanes back) or names another map than the one shown;
  // the next pulse asks again. A failed route is not taken back from later data; the next ask is a rerun, at once.
  function fetchFeed(url) {
    const gen = S.dataGen;
    fetch(`${url}?have=${encodeURIComponent(JSON.stringify({ lanes: have().lanes }))}`)
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`feed: HTTP ${r.status}`))))
      .then((d) => {
        S.feedAnswers += 1;
        if (gen === S.dataGen && S.static && d.static_id === S.static.id) feed(d, true);
        else S.req.at = -Infinity;
      })
      .catch((err) => {
        console.warn("unlearn player:", err);
        S.feedFailures += 1; S.feedBroken = url; S.req.at = -Infinity;
        if (S.feedUrl === url) S.feedUrl = null;
      });
  }
  const AHEAD_MS = 2000;
  // "want": about every 400 ms while frames may come, once the previous request was answered (or 5 s passed).
  // (A root out of the page for 5 s is gone: its timers stop. Streamlit may move it briefly.)
  const pulse = setInterval(() => {
    if (!root.isConnected) { S.detachedAt = S.detachedAt ?? now(); if (now() - S.detachedAt > 5000) destroy(); return; }
    S.detachedAt = null;
    if (!send || S.standalone || !(live() || !S.static)) return;
    const since = now() - S.req.at;
    // Playing at a paced speed with AHEAD_MS of frames still to show: nothing to ask yet (every ask is server work:
    // a fetch from the feed route, or under app.py a rerun of the player's fragment). Side by side: the recording
    // lane with the fewest such frames (a finished lane has all its frames).
    const aheadOf = (l) => l.frames.filter((f) => f.step > S.shown).length;
    const ahead = Math.min(...S.lanes.filter((l) => !complete(l)).map(aheadOf));
    if (S.playing && S.speed !== "computed" && !(S.started && anyIdle()) && ahead * period() >= AHEAD_MS) return;
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

  function feed(data, fromRoute) {
    if (!data || S.destroyed) return;
    if (!fromRoute) S.dataGen += 1;
    S.lastFed = data;
    S.standalone = !send || !!data.standalone;
    S.served = data.served;
    if ("feed_url" in data) S.feedUrl = data.feed_url === S.feedBroken ? null : data.feed_url;
    if ("overlay" in data) feedOverlay(data.overlay || null);     // (a feed route's answer carries none)
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
    // Every feed carries the target again: only another one (other places) is decoded anew and redraws the maps.
    const sameTarget = (a, b) => a === b || (!!a && !!b && a.xy === b.xy && String(a.pred) === String(b.pred));
    if (data.target !== undefined && !sameTarget(data.target, S.target)) {
      S.target = data.target; S.targetXY = null; S.targetGen = (S.targetGen || 0) + 1;
    }
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
  // A glide costs the browser several times a jump (the map's canvas is repainted about 30 times a second
  // instead of once: python -m bench.glide_cost; docs/RESULTS.md has the figures). A page that cannot keep time
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
    for (const gd of Object.values(S.curves)) placeMarker(gd);
  }

  /* ---------- layout: one plot per lane, created once per lane count and kept ---------- */
  function ensureLayout() {
    if (!S.static || (S.layoutLanes === S.lanes.length && S.layoutStatic === S.static.id)) return;
    if (S.layoutLanes === S.lanes.length && S.maps.length) {      // another map, same lanes: keep the plots
      S.layoutStatic = S.static.id;
      S.maps.forEach((m) => { m.sig = null; m.pos = null; });   // no glide from another map's places
      S.curvesAt = -Infinity;                                     // and its curves at once
      body.querySelector(".map-key").innerHTML = mapKey();
      return;
    }
    for (const gd of plots()) S.plotly.purge(gd);
    S.layoutLanes = S.lanes.length;
    S.layoutStatic = S.static.id;
    const st = style(), n = S.lanes.length;
    root.style.setProperty("--unlearn-font", `${(st.font || 12) + 1}px`);
    // A curve chart and its step marker (an element over the chart: see placeMarker).
    const plot = (cls) => `<div class="unlearn-curve"><div class="unlearn-plot ${cls}"></div>` +
      `<div class="unlearn-step-marker" style="display:none"></div></div>`;
    const maps = S.lanes.map((_, i) => `<div class="unlearn-map" data-lane="${i}" style="height:${mapHeight()}px">` +
      `<div class="unlearn-map-title"></div><canvas></canvas><div class="unlearn-map-tip"></div></div>`).join("");
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
    S.maps.forEach((mp) => { mp.busy = false; cancelAnimationFrame(mp.raf); clearTimeout(mp.safety); });
    S.maps = [...body.querySelectorAll(".unlearn-map")].map((el) => {
      const canvas = el.querySelector("canvas");
      const mp = { el, canvas, ctx: canvas.getContext("2d"), title: el.querySelector(".unlearn-map-title"),
                   tip: el.querySelector(".unlearn-map-tip"), busy: false, pending: null, sig: null, pos: null };
      hookMap(mp);
      return mp;
    });
    S.curves = {};
    S.curvesSig = null; S.curvesAt = -Infinity;
    for (const name of ["acc", "loss", "cluster"]) {
      const gd = body.querySelector(`.unlearn-${name}`);
      if (gd) { S.curves[name] = gd; gd.__marker = gd.parentElement.querySelector(".unlearn-step-marker"); }
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

  /* ---------- maps: one canvas per lane ---------- */
  // The map is drawn on a <canvas>, not as plotly's SVG: a glide then repaints one bitmap each animation frame
  // instead of moving every point's SVG element (thousands of DOM attribute changes a step, each restyled and
  // repainted by the browser: python -m bench.page_cost). Hover and click find the nearest drawn mark.
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
    const key = [S.static.id, lane.id, cur && cur.step, f && f.step, stopped, S.selected, S.targetGen || 0, frames.length,
                 byOverlay() ? "overlay" : "pred"];
    return { frames, f, stopped, key: key.join("|") };
  }
  // Everything a lane's map shows at step s, in data coordinates (drawing is paintMap's).
  function mapScene(lane, s, view) {
    const st = S.static, sty = st.style || {}, P = st.labels.length;
    const { frames, f, stopped } = view, cur = frames[frames.length - 1], start = frames[0];
    const m = cur ? unlearnDecodeMap(cur, st) : null, m0 = start ? unlearnDecodeMap(start, st) : null;
    const ok = (d, i) => d && Number.isFinite(d.x[i]) && Number.isFinite(d.y[i]);     // NaN points are skipped
    const rest = [], forget = [];
    for (let i = 0; i < P; i++) if (ok(m, i)) (st.is_forget[i] ? forget : rest).push(i);
    // Trails: each forget sample's positions at the map frames so far, at most 32, evenly subsampled (the last
    // is the shown frame: during a glide the trail ends where the point is).
    let picks = [];
    if (sty.trails && frames.length > 1) {
      const k = Math.min(frames.length, 32);
      for (let j = 0; j < k; j++) picks.push(unlearnDecodeMap(frames[Math.round((j * (frames.length - 1)) / (k - 1))], st));
    }
    // The scene keeps the target it was made with: a feed may replace S.target before the next paint.
    const T = S.target;
    if (T && T.xy && !S.targetXY) S.targetXY = unlearnXY(T.xy, st.bounds, T.rows.length);
    const txy = T ? S.targetXY : null, stars = txy ? T.rows.map((_, k) => k).filter((k) => ok(txy, k)) : [];
    const colour = (i) => byOverlay() ? overlayColour(S.overlay.scores[i]) : st.colors[m.pred[i]] || "#888";
    return { m, m0, rest, forget, picks, stars, target: T, txy, ok, colour, starts: forget.filter((i) => ok(m0, i)),
             sel: S.selected != null && ok(m, S.selected) ? S.selected : null,
             title: `${lane.title || ""}: step ${f ? f.step : s}` + (stopped ? " (stopped: its last frame)" : "") };
  }
  // Data -> canvas pixels (css px), within the fixed bounds (8 px inside the canvas's edges, as plotly's margins).
  function mapTransform(mp) {
    const [[x0, x1], [y0, y1]] = S.static.bounds, w = mp.canvas.clientWidth, h = mp.canvas.clientHeight, pad = 8;
    const sx = (w - 2 * pad) / ((x1 - x0) || 1), sy = (h - 2 * pad) / ((y1 - y0) || 1);
    return { px: (x) => pad + (x - x0) * sx, py: (y) => h - pad - (y - y0) * sy };
  }
  function sizeCanvas(mp) {
    const dpr = window.devicePixelRatio || 1, c = mp.canvas;
    const w = Math.max(1, Math.round(c.clientWidth * dpr)), h = Math.max(1, Math.round(c.clientHeight * dpr));
    if (c.width !== w || c.height !== h) { c.width = w; c.height = h; }
    mp.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  }
  // The shapes of plotly's markers (size: plotly's marker size, the circle's diameter).
  function markPath(ctx, kind, x, y, size) {
    const r = size / 2;
    if (kind === "diamond") {
      const d = r * 1.3;
      ctx.moveTo(x, y - d); ctx.lineTo(x + d, y); ctx.lineTo(x, y + d); ctx.lineTo(x - d, y); ctx.closePath();
    } else if (kind === "star") {
      const ro = r * 1.4, ri = ro * 0.4;
      for (let k = 0; k < 10; k++) {
        const a = -Math.PI / 2 + (k * Math.PI) / 5, rr = k % 2 ? ri : ro;
        if (k) ctx.lineTo(x + rr * Math.cos(a), y + rr * Math.sin(a)); else ctx.moveTo(x + rr * Math.cos(a), y + rr * Math.sin(a));
      }
      ctx.closePath();
    } else {
      ctx.moveTo(x + r, y); ctx.arc(x, y, r, 0, 2 * Math.PI);
    }
  }
  // Marks in the colours of `colourOf` (same colour: one path), filled and/or outlined.
  function drawMarks(ctx, rows, at, kind, size, colourOf, fillAlpha, outline) {
    const groups = new Map();
    for (const i of rows) { const c = colourOf(i); if (!groups.has(c)) groups.set(c, []); groups.get(c).push(i); }
    for (const [c, list] of groups) {
      ctx.beginPath();
      for (const i of list) { const p = at(i); if (p) markPath(ctx, kind, p[0], p[1], size); }
      if (fillAlpha > 0) { ctx.globalAlpha = fillAlpha; ctx.fillStyle = c; ctx.fill(); ctx.globalAlpha = 1; }
      if (outline) { ctx.lineWidth = outline.width; ctx.strokeStyle = outline.color || c; ctx.stroke(); }
    }
  }
  // The marks as drawn now, in canvas pixels, topmost last: [{probe, kind, x, y, colour, text}].
  function mapMarks(mp) {
    const sc = mp.scene, pos = mp.pos;
    if (!sc || !pos || !S.static) return [];
    const { px, py } = mapTransform(mp), st = S.static, out = [];
    for (const i of sc.rest) out.push({ probe: i, kind: "remaining", x: px(pos.x[i]), y: py(pos.y[i]),
      colour: st.colors[st.labels[i]], text: () => hoverText(i, sc.m) });
    const T = sc.target, txy = sc.txy;
    for (const k of sc.stars) out.push({ probe: T.rows[k], kind: "target", x: px(txy.x[k]), y: py(txy.y[k]),
      colour: st.colors[T.pred[k]] || "#888",
      text: () => `retrained model: predicted ${unlearnEsc(st.class_names[T.pred[k]] ?? T.pred[k])}` });
    for (const i of sc.forget) out.push({ probe: i, kind: "forget sample", x: px(pos.x[i]), y: py(pos.y[i]),
      colour: sc.colour(i), text: () => hoverText(i, sc.m) });
    return out;
  }
  function paintMap(mp) {
    const sc = mp.scene, ctx = mp.ctx, st = S.static, sty = st.style || {};
    sizeCanvas(mp);
    const w = mp.canvas.clientWidth, h = mp.canvas.clientHeight;
    ctx.clearRect(0, 0, w, h);
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, w, h);
    mp.title.textContent = sc ? sc.title : "";
    if (!sc || !sc.m || !mp.pos) { mp.el.setAttribute("data-points", "0"); return; }
    const { px, py } = mapTransform(mp), pos = mp.pos, tw = sty.trail_width || 1;
    const at = (i) => [px(pos.x[i]), py(pos.y[i])];
    ctx.lineJoin = "round";
    if (sc.picks.length > 1) {                  // trails
      ctx.beginPath();
      for (const i of sc.forget) {
        let first = true;
        sc.picks.forEach((d, j) => {
          const last = j === sc.picks.length - 1;
          if (!last && !sc.ok(d, i)) return;
          const x = px(last ? pos.x[i] : d.x[i]), y = py(last ? pos.y[i] : d.y[i]);
          if (first) ctx.moveTo(x, y); else ctx.lineTo(x, y);
          first = false;
        });
      }
      ctx.lineWidth = tw; ctx.strokeStyle = "rgba(60,60,60,0.45)"; ctx.stroke();
    }
    drawMarks(ctx, sc.starts, (i) => [px(sc.m0.x[i]), py(sc.m0.y[i])], "circle", sty.start_point || 5,
              () => "rgba(60,60,60,0.6)", 0, { width: tw });
    drawMarks(ctx, sc.rest, at, "circle", sty.point || 6, (i) => st.colors[st.labels[i]], 0.45, null);
    const T = sc.target, txy = sc.txy, fp = sty.forget_point || 10;
    if (sc.stars.length) {
      ctx.globalAlpha = 0.8;
      drawMarks(ctx, sc.stars, (k) => [px(txy.x[k]), py(txy.y[k])], "star", Math.round(fp * 1.15),
                (k) => st.colors[T.pred[k]] || "#888", 1, { width: 0.8, color: "#333" });
      ctx.globalAlpha = 1;
    }
    if (sc.sel != null) drawMarks(ctx, [sc.sel], at, "circle", Math.round(fp * 2.2), () => "#111", 0, { width: 2.5 });
    drawMarks(ctx, sc.forget, at, "diamond", fp, sc.colour, 1, { width: 1.5 * tw, color: "black" });
    // What is drawn, for tests and tools: the samples, the diamonds, the stars and the ring.
    mp.el.setAttribute("data-points", String(sc.rest.length + sc.forget.length));
    mp.el.setAttribute("data-diamonds", String(sc.forget.length));
    mp.el.setAttribute("data-stars", String(sc.stars.length));
    mp.el.setAttribute("data-selected", sc.sel == null ? "" : String(sc.sel));
  }

  // One canvas per lane for the player's life. A step that moved on by one glides (the points move from where
  // they are drawn to the new frame's places over glideMs, eased as plotly's cubic-in-out); a step asked for
  // while a glide runs waits, and only the newest is drawn. A machine too slow to glide at this speed (the next
  // step came before the last was drawn) gets jumps until it has caught up: a glide costs the main thread, and
  // the clock shares it.
  function drawMap(mp, i, glide, ms) {
    if (mp.busy) {        // a redraw of the same step (new data) keeps the pending step's glide
      const keep = mp.pending && mp.pending.step === S.shown && !glide;
      if (glide && mp.drawing !== S.shown) mp.hurryUntil = now() + 2000;
      mp.pending = keep ? mp.pending : { glide, ms, step: S.shown };
      return;
    }
    const lane = S.lanes[i];
    if (!lane) return;
    const view = mapView(lane, S.shown);
    if (view.key === mp.sig) return;
    mp.sig = view.key;
    mp.el.style.height = `${mapHeight()}px`;
    const scene = mapScene(lane, S.shown, view), to = scene.m, from = mp.pos;
    mp.scene = scene;
    mp.el.setAttribute("data-step", String(view.f ? view.f.step : S.shown));
    const dur = glide && from && to && !(now() < mp.hurryUntil) && canGlide() ? glideMs(ms || period()) : 0;
    if (!(dur > 0)) { mp.pos = to ? { x: to.x, y: to.y } : null; paintMap(mp); hoverAgain(mp); return; }
    mp.busy = true;
    mp.drawing = S.shown;
    const began = now(), P = to.x.length, x = new Float64Array(P), y = new Float64Array(P);
    let frames = 0;                       // animation frames drawn during the glide
    const done = () => {
      if (!mp.busy) return;
      cancelAnimationFrame(mp.raf); clearTimeout(mp.safety);
      mp.busy = false;
      mp.pos = { x: to.x, y: to.y };
      if (!S.destroyed) { paintMap(mp); hoverAgain(mp); }
      // A glide that overran its time, or was drawn at under 20 frames a second, says the page is starved.
      const took = now() - began;
      if (took > 1.5 * dur + 100 || (1000 * frames) / took < MIN_GLIDE_FPS) fallBehind();
      const p = mp.pending;
      mp.pending = null;
      if (p && !S.destroyed) drawMap(mp, i, p.glide, p.ms);
    };
    let painted = -1e9;
    const frame = () => {
      if (!mp.busy || S.destroyed) return;
      // About 30 paints a second (every other animation frame at 60 Hz): each paint is a whole bitmap.
      if (now() - painted < GLIDE_PAINT_MS && now() - began < dur) { mp.raf = requestAnimationFrame(frame); return; }
      painted = now();
      const u = Math.min(1, (now() - began) / dur), e = u < 0.5 ? 4 * u * u * u : 1 - Math.pow(2 - 2 * u, 3) / 2;
      for (let k = 0; k < P; k++) {
        const ax = from.x[k], ay = from.y[k], bx = to.x[k], by = to.y[k];
        const moves = Number.isFinite(ax) && Number.isFinite(ay);
        x[k] = moves ? ax + (bx - ax) * e : bx;
        y[k] = moves ? ay + (by - ay) * e : by;
      }
      mp.pos = { x, y };
      paintMap(mp);
      frames += 1;
      if (u < 1) mp.raf = requestAnimationFrame(frame); else done();
    };
    mp.safety = setTimeout(done, dur + 3000);      // a page whose animation frames stopped (hidden) moves on
    mp.raf = requestAnimationFrame(frame);
  }

  // Hover and click: the nearest mark within 10 px of the pointer (a sample's or a star's probe position).
  const HIT_PX = 10, GLIDE_PAINT_MS = 25;
  function markAt(mp, ev) {
    const r = mp.canvas.getBoundingClientRect(), cx = ev.clientX - r.left, cy = ev.clientY - r.top;
    let best = null, bestD = HIT_PX * HIT_PX;
    for (const mk of mapMarks(mp)) {          // topmost last: on a tie the one drawn on top wins
      const d = (mk.x - cx) ** 2 + (mk.y - cy) ** 2;
      if (d <= bestD) { best = mk; bestD = d; }
    }
    return best;
  }
  function hideTips(mp) {
    tip.style.display = "none";
    if (mp) { mp.tip.style.display = "none"; mp.hovered = null; mp.canvas.style.cursor = ""; }
  }
  function hover(mp, ev) {
    mp.lastPointer = { clientX: ev.clientX, clientY: ev.clientY };
    const mk = markAt(mp, ev);
    if (!mk) { hideTips(mp); return; }
    mp.hovered = mk.probe;
    mp.canvas.style.cursor = "pointer";
    // The text box right of the point (left of it near the right edge), as plotly's hover label was.
    mp.tip.innerHTML = `${mk.text()}<span class="unlearn-map-tip-name">${mk.kind}</span>`;
    mp.tip.style.borderColor = mk.colour;
    mp.tip.style.display = "block";
    const top = mp.canvas.offsetTop, left = mk.x + 12, wide = mp.tip.offsetWidth;
    mp.tip.style.left = `${left + wide > mp.canvas.clientWidth ? Math.max(0, mk.x - 12 - wide) : left}px`;
    mp.tip.style.top = `${Math.max(0, top + mk.y - mp.tip.offsetHeight / 2)}px`;
    const thumbs = S.static && S.static.thumbs, src = thumbs ? thumbs[mk.probe] : null;
    if (!src) { tip.style.display = "none"; return; }
    if (tip.getAttribute("src") !== src) tip.src = src;
    tip.style.left = `${Math.max(0, ev.clientX - 114)}px`;      // left of the pointer: the text box is right
    tip.style.top = `${Math.max(0, ev.clientY - 48)}px`;
    tip.style.display = "block";
  }
  // After a redraw under a resting pointer: the hover follows what is under it now.
  function hoverAgain(mp) { if (mp.hovered != null && mp.lastPointer) hover(mp, mp.lastPointer); }
  function hookMap(mp) {
    const c = mp.canvas;
    c.addEventListener("mousemove", (ev) => hover(mp, ev));
    c.addEventListener("mouseleave", () => { mp.lastPointer = null; hideTips(mp); });
    c.addEventListener("click", (ev) => {
      const mk = markAt(mp, ev);
      if (!mk || now() < S.noClickUntil) return;       // (the second click of a double-click)
      select(mk.probe === S.selected ? null : mk.probe);
    });
    // A double-click clears the selection (its two clicks select and unselect; the ring follows at once).
    c.addEventListener("dblclick", () => { S.noClickUntil = now() + 450; select(null); });
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
  // The marker is an element over the chart (.unlearn-step-marker), moved to the shown step's x in render(): a
  // plotly shape moved by Plotly.relayout cost a chart's redraw a step, and plotly left the old lines drawn.
  function placeMarker(gd) {
    const mk = gd.__marker, fl = gd._fullLayout, ax = fl && fl.xaxis;
    if (!mk) return;
    const x = ax && typeof ax.l2p === "function" ? ax._offset + ax.l2p(S.shown) : NaN;
    if (!Number.isFinite(x) || !fl._size || x < ax._offset - 1 || x > ax._offset + ax._length + 1) {
      mk.style.display = "none";
      return;
    }
    mk.style.display = "block";
    mk.style.top = `${fl._size.t}px`;
    mk.style.height = `${fl._size.h}px`;
    mk.style.transform = `translateX(${x.toFixed(1)}px)`;
    mk.setAttribute("data-step", String(S.shown));
  }
  function curveLayout(title, height, extra) {
    const font = style().font || 12;
    return Object.assign({ title: { text: title, x: 0.01, font: { size: font + 1 } }, height, font: { size: font },
      margin: { l: 55, r: 12, t: font * 2 + 12, b: font * 2 + 18 }, uirevision: title, plot_bgcolor: "white",
      paper_bgcolor: "white", hovermode: "x unified",
      xaxis: { title: { text: "step", standoff: 4 }, automargin: true, zeroline: false }, shapes: [] }, extra);
  }
  function series(lane, get) {
    const x = [], y = [];
    for (const f of lane.frames) {
      const v = get(f);
      if (v != null && Number.isFinite(v)) { x.push(f.step); y.push(v); }
    }
    return { x, y };
  }
  const CURVES_LIVE_MS = 1000;
  // The live charts' x axis ends at the first of 10, 20, 50, 100, 200, ... steps past the newest frame.
  function liveAxisEnd(last) {
    if (!Number.isFinite(last)) return null;
    for (let scale = 10; ; scale *= 10) for (const m of [1, 2, 5]) if (m * scale > last) return m * scale;
  }
  function drawCurves() {
    if (S.destroyed || !S.static || !S.lanes.length) return;
    // Redrawn only when what they show changed: a live page is fed every few hundred ms, mostly with nothing new,
    // and a react of three charts costs as much as a step's glide on a busy machine.
    const sig = [S.static.id, S.layoutLanes, !!S.target, ...S.lanes.map((l) => `${l.id}:${l.frames.length}:${l.state}`)]
      .join("|");
    if (sig === S.curvesSig) return;
    // While a run records, its charts are redrawn at most once a second, not on every feed: a page's three plotly
    // reacts a feed cost about as much as a step's glide (bench.page_cost; one page's browser CPU a step fell from
    // 0.17 to 0.13-0.15 s). The x axis meanwhile runs to a round step count past the newest frame, so that the step
    // marker of any frame held has its place while the lines catch up.
    const xEnd = live() ? liveAxisEnd(lastTimeline()) : null;
    if (xEnd != null && xEnd === S.curvesXEnd && now() - S.curvesAt < CURVES_LIVE_MS) {
      if (!S.curvesTimer) S.curvesTimer = setTimeout(() => { S.curvesTimer = null; drawCurves(); },
                                                     CURVES_LIVE_MS - (now() - S.curvesAt));
      return;
    }
    S.curvesSig = sig; S.curvesAt = now(); S.curvesXEnd = xEnd;
    const xRange = xEnd != null ? { range: [(S.steps.length ? S.steps[0] : 0) - 0.5, xEnd], autorange: false } : {};
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
      xaxis: Object.assign({ automargin: true, zeroline: false, title: { text: "" } }, xRange),
      yaxis: { range: [-0.03, 1.03], tickformat: ".0%", automargin: true, title: { text: "accuracy", standoff: 4 } } }));
    // Loss terms (1 lane): their scales differ, so L_UL above and L_CE below on axes of their own.
    const stacked = (top, bottom) => ({
      xaxis: Object.assign({ title: { text: "step", standoff: 4 }, anchor: "y2", automargin: true, zeroline: false },
                           xRange),
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
    try {
      Promise.resolve(S.plotly.react(gd, traces, layout, UNLEARN_PLAYER_CONFIG)).then(() => placeMarker(gd), () => {});
    } catch (err) { console.error("unlearn player curves:", err); }
  }

  /* ---------- life ---------- */
  // Width follows the container (a column that narrows without a window resize too).
  const resizer = typeof ResizeObserver === "function" ? new ResizeObserver(() => {
    clearTimeout(S.resizeTimer);
    S.resizeTimer = setTimeout(() => {
      if (!S.plotly) return;
      for (const gd of plots()) if (gd.layout) Promise.resolve(S.plotly.Plots.resize(gd)).then(() => placeMarker(gd), () => {});
      for (const mp of S.maps) if (!mp.busy) paintMap(mp);      // (a glide repaints at the new size itself)
    }, 150);
  }) : null;
  if (resizer) resizer.observe(root);
  function destroy() {
    if (S.destroyed) return;
    S.destroyed = true;
    stopClock(); clearInterval(pulse); clearTimeout(S.selTimer); clearTimeout(S.curvesTimer);
    if (resizer) resizer.disconnect();
    tip.style.display = "none";
    if (S.plotly) for (const gd of plots()) S.plotly.purge(gd);
    for (const mp of S.maps) { mp.busy = false; cancelAnimationFrame(mp.raf); clearTimeout(mp.safety); }
    if (root.__unlearnPlayer === api) delete root.__unlearnPlayer;
  }
  // mapMarks(lane): the marks lane's map draws now, in the page's (client) pixels, topmost last:
  // [{probe, kind: "remaining" | "target" | "forget sample", x, y}] (tests and tools hover and click them).
  const marksOf = (i) => {
    const mp = S.maps[i];
    if (!mp) return [];
    const r = mp.canvas.getBoundingClientRect();
    return mapMarks(mp).map((mk) => ({ probe: mk.probe, kind: mk.kind, x: r.left + mk.x, y: r.top + mk.y }));
  };
  const api = { feed, destroy, act, state: S, mapMarks: marksOf, setSend(fn) { send = fn; } };
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
