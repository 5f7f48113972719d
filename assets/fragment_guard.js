// The browser half of app_ui/fragment_guard.py: a guard, drawn outside a timed fragment, and a beat, drawn
// last in it. Each beat (a new render of the beat element: one per finished run of the fragment) sends a
// window event; a guard that hears none for data.stall_ms while the fragment should be ticking sets its
// "stalled" trigger, which reruns the whole page (the guard is outside every fragment), then waits twice as
// long (up to data.max_stall_ms) for the next beat. It does not fire while the page shows a script running.
//
// data (guard): {role: "guard", name, stall_ms, max_stall_ms, active};  data (beat): {role: "beat", name, count}.

const BEAT_EVENT = "unlearn-fragment-beat";
const RUNNING_ICON = '[data-testid="stStatusWidgetRunningIcon"]';

export default function ({ data, parentElement, setTriggerValue }) {
  if (data.role === "beat") {
    window.dispatchEvent(new CustomEvent(BEAT_EVENT, { detail: data.name }));
    return;
  }
  const guard = parentElement.__fragmentGuard || (parentElement.__fragmentGuard = {});
  const stop = () => {
    clearTimeout(guard.timer);
    if (guard.onBeat) window.removeEventListener(BEAT_EVENT, guard.onBeat);
    guard.timer = guard.onBeat = null;
  };
  stop();
  if (!data.active) return stop;
  // Each rerun that brings no beat doubles the wait: on a server too busy to finish a page run within
  // stall_ms, a rerun every stall_ms would cut every run short (a rerun request stops the run in progress).
  const arm = (wait) => {
    clearTimeout(guard.timer);
    guard.timer = setTimeout(() => {
      // A script of this session running now (Streamlit's own "Running..." icon) is a slow server, not a
      // lost timer: a rerun would only stop that run. Look again later.
      if (document.querySelector(RUNNING_ICON)) { arm(wait); return; }
      guard.fired = (guard.fired || 0) + 1;     // a new value each time
      setTriggerValue("stalled", { name: data.name, fired: guard.fired });
      arm(Math.min(2 * wait, data.max_stall_ms));
    }, wait);
  };
  guard.onBeat = (ev) => { if (ev.detail === data.name) arm(data.stall_ms); };
  window.addEventListener(BEAT_EVENT, guard.onBeat);
  arm(data.stall_ms);
  return stop;
}
