"""The Streamlit app's parts; the pages under pages/ are thin and call one render function each.

Streamlit-free (usable from the benchmarks and tests without a running app):
    app_config   AppConfig: the engine's configs + ViewConfig, its URL form generated from their settings, its Experiment
    presets      the one-click stories in assets/presets.json
    background   Job: a function run once in a thread, with progress a page can poll
    live_run     LiveRun: the unlearning generator, the recorded frames and curves of one session's run
    figures      the plotly figures (embedding map, accuracy and loss curves)
    thumbnails   small PNG data URIs of the probe images, for the map's hover
    results      the metrics table, the run's JSON report, the curves' CSV, the figures' HTML
    run_controller RunController: one run's playback state machine (idle / running / paused / stopped)
    lockstep     LockstepController: several methods' RunControllers stepped together (Side by side)
    story        a preset's captions tied to measurable moments of a run (classroom mode)
    cluster_curves, forget_figures, side_by_side_figures   more figures: leaving the cluster, where the
                 forgotten samples go, the side-by-side maps
    retrain_target where the retrain model puts the forget samples on a run's map

Streamlit:
    shell        app_pages() and require_app_shell(): every page runs inside app.py's navigation and sidebar
    resources    st.cache_resource around the shared, expensive parts (prepared experiment + map, retrain)
    sidebar      the shared sidebar and page links (rendered once, by app.py) and the URL round trip
    hover_images the image-on-hover component for the map
    live_chart   a plotly chart kept for the page's life and updated in place (the live map glides)
    classroom    classroom mode (?present=1): projector sizes, no settings, the captions
    point_details the clicked point's panel: image, label, prediction, five nearest neighbours
    home_page, unlearn_page, how_page, side_by_side_page, compare_page, sweep_page   the pages' render functions
"""
