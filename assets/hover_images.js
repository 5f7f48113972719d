// Shows a sample's image next to the pointer while it is over a point of the embedding map.
// Used by the app (app_ui/hover_images.py, a Streamlit component) and by the downloaded figures' HTML.
// A map point carries its position in the probe set as customdata[0]; `thumbs` holds one image
// (a PNG data URI) per probe point. Plots drawn later (every live frame may redraw) are picked up
// by a periodic check, since Streamlit may replace a chart's element.
function unlearnHoverImages(thumbs) {
  const id = "unlearn-hover-image";
  let tip = document.getElementById(id);
  if (!tip) {
    tip = document.createElement("img");
    tip.id = id;
    tip.alt = "sample image";
    tip.style.cssText = "position:fixed;z-index:100000;pointer-events:none;display:none;width:96px;height:96px;" +
      "image-rendering:pixelated;background:#fff;border:1px solid #888;border-radius:4px;" +
      "box-shadow:0 2px 8px rgba(0,0,0,.25);object-fit:contain";
    document.body.appendChild(tip);
  }
  window.__unlearnThumbs = thumbs || [];
  const attach = () => {
    document.querySelectorAll(".js-plotly-plot").forEach((gd) => {
      if (gd.__unlearnHover || typeof gd.on !== "function") return;
      gd.__unlearnHover = true;
      gd.on("plotly_hover", (ev) => {
        const p = ev && ev.points && ev.points[0];
        const pos = p && p.customdata != null ? (Array.isArray(p.customdata) ? p.customdata[0] : p.customdata) : null;
        const src = pos != null ? window.__unlearnThumbs[pos] : null;
        if (!src) { tip.style.display = "none"; return; }
        const e = ev.event || {};
        tip.src = src;
        // Left of the pointer: plotly draws its tooltip (labels, probability) to the right.
        tip.style.left = Math.max(0, (e.clientX || 0) - 114) + "px";
        tip.style.top = Math.max(0, (e.clientY || 0) - 48) + "px";
        tip.style.display = "block";
      });
      gd.on("plotly_unhover", () => { tip.style.display = "none"; });
    });
  };
  attach();
  const timer = setInterval(attach, 800);
  return () => { clearInterval(timer); tip.style.display = "none"; };
}
