// A live chart: one plotly.js plot for the page's life, updated in place with Plotly.react.
// Used by app_ui/live_chart.py (a Streamlit component) for the live view's map and curves. Streamlit's own
// st.plotly_chart gives a chart a new identity whenever its figure changes, so every live frame was a new
// plot built from scratch: the points jumped instead of gliding (layout.transition needs the previous
// frame in the same plot), the map blinked out between frames, and every tick rebuilt every chart.
//
// data: {figure: plotly JSON (a string), url: where plotly.min.js is served, clicks: whether Python listens}.
// Listened to, a click on a point that carries customdata (a map sample: its probe position) sends {probe}
// as the "click" trigger, and a double-click sends {probe: null}.

const UNLEARN_REACT_MARGIN_MS = 3000;

function unlearnLoadPlotly(url) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!window.__unlearnPlotly) {
    // Fetched and run as an inline script: Streamlit's static serving sends .js files as text/plain.
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

function unlearnProbeOf(ev) {
  const p = ev && ev.points && ev.points[0];
  if (!p || p.customdata == null) return null;
  // A row of customdata: an array, or a typed array's row when plotly sent the numpy column in binary.
  const c = typeof p.customdata === "object" && "length" in p.customdata ? p.customdata[0] : p.customdata;
  return Number.isFinite(Number(c)) ? Number(c) : null;
}

export default function ({ data, parentElement, setTriggerValue }) {
  let gd = parentElement.querySelector(".unlearn-live-chart");
  if (!gd) {
    gd = document.createElement("div");
    gd.className = "unlearn-live-chart";
    gd.style.width = "100%";
    parentElement.appendChild(gd);
  }
  // Only the newest frame matters: frames that arrive while one is being drawn replace each other.
  gd.__pending = JSON.parse(data.figure);
  gd.__setTrigger = setTriggerValue;
  if (gd.__drawing) return;
  gd.__drawing = true;
  const drawNext = (Plotly) => {
    const fig = gd.__pending;
    gd.__pending = null;
    if (!fig) { gd.__drawing = false; return; }
    gd.style.height = `${fig.layout.height || 450}px`;
    // Plotly.react's promise settles when its transition ends; one that never settles would hold every later
    // frame here (seen in CI: a side-by-side map never drew its stop step). Go on after the transition and
    // a margin whatever it does.
    const margin = ((fig.layout.transition && fig.layout.transition.duration) || 0) + UNLEARN_REACT_MARGIN_MS;
    // (In a promise's executor, so that an error thrown by Plotly.react itself is a rejection too.)
    Promise.race([new Promise((resolve) => resolve(Plotly.react(gd, fig.data, fig.layout,
                                                                { displaylogo: false, responsive: true }))),
                  new Promise((resolve) => setTimeout(resolve, margin))])
      .then(() => {
        if (data.clicks && !gd.__hooked) {
          gd.__hooked = true;
          gd.on("plotly_click", (ev) => {
            const probe = unlearnProbeOf(ev);
            if (probe != null) gd.__setTrigger("click", { probe });
          });
          gd.on("plotly_doubleclick", () => gd.__setTrigger("click", { probe: null }));
        }
      })
      .catch((err) => console.error("unlearn live map:", err))
      .finally(() => drawNext(Plotly));
  };
  unlearnLoadPlotly(data.url)
    .then(drawNext)
    .catch((err) => {
      gd.__drawing = false;
      gd.textContent = `The map could not be drawn: ${err.message}`;
    });
}
