"""The Streamlit app's parts; the pages under pages/ are thin and call one render function each.

Streamlit-free (usable from the benchmarks and tests without a running app):
    app_config   AppConfig: the engine's configs + ViewConfig, its URL form generated from their settings, its Experiment
    presets      the one-click stories in assets/presets.json
    background   Job: a function run once in a thread, with progress a page can poll
    live_run     LiveRun: the unlearning generator, the recorded frames and curves of one session's run
    figures      the plotly figures (embedding map, accuracy and loss curves)
    thumbnails   small PNG data URIs of the probe images, for the map's hover
    results      the metrics table, the run's JSON report, the curves' CSV, the figures' HTML

Streamlit:
    shell        app_pages() and require_app_shell(): every page runs inside app.py's navigation and sidebar
    resources    st.cache_resource around the shared, expensive parts (prepared experiment + map, retrain)
    sidebar      the shared sidebar and page links (rendered once, by app.py) and the URL round trip
    hover_images the image-on-hover component for the map
    home_page, unlearn_page, how_page   the pages' render functions
"""
