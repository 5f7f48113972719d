// The browser half of app_ui/fragment_guard.py: a guard, drawn outside a timed fragment, and a beat, drawn
// inside it. Each beat (a new render of the beat element: one per run of the fragment) sends a window event;
// a guard that hears none for data.stall_ms while the fragment should be ticking sets its "stalled" trigger,
// which reruns the whole page (the guard is outside every fragment), then waits as long again.
//
// data (guard): {role: "guard", name, stall_ms, active};  data (beat): {role: "beat", name, count}.

const BEAT_EVENT = "unlearn-fragment-beat";

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
  const arm = () => {
    clearTimeout(guard.timer);
    guard.timer = setTimeout(() => {
      guard.fired = (guard.fired || 0) + 1;     // a new value each time
      setTriggerValue("stalled", { name: data.name, fired: guard.fired });
      arm();
    }, data.stall_ms);
  };
  guard.onBeat = (ev) => { if (ev.detail === data.name) arm(); };
  window.addEventListener(BEAT_EVENT, guard.onBeat);
  arm();
  return stop;
}
