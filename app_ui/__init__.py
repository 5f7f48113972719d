"""The Streamlit app's parts; the pages under pages/ are thin and call one render function each.

live/   record, then play (docs/PLAYER.md): the engine records a run in the background, the browser plays it
    recording      Recording: a run computed at the engine's pace as compact frames; RECORDINGS shares them
    payload        what the browser's player receives (no Streamlit): static map parts, new frames, captions
    player         the player component (assets/player.js) in a fragment that answers the browser's events
    prepared_map   PreparedMap: data, split, original model, the UMAP layout, thumbnails (shared, read-only)
    point_details  a clicked sample: its image, prediction and nearest neighbours in the embedding space
    story          a preset's captions tied to measurable moments of a run (classroom mode)
    retrain_target where the retrain model puts the forget samples on a run's map
    thumbnails     small PNG data URIs of the probe images
jobs/   one background-job mechanism for every long piece of work
    background     Job: a function run once in a thread, with progress, cancel and a result
    board          JobBoard: one job per key, shared by sessions; a cancelled one gives way to a new one
    progress       wait_for_job: the progress bar, Cancel and Start
    resources      the prepared experiment + map, and the retrain reference, as shared jobs

Top level: app_config (AppConfig and its URL form), sidebar, shell, classroom, presets, figures (the static
plotly figures), results (tables, JSON, CSV, the player's HTML), and the pages' render functions
(home_page, unlearn_page, side_by_side_page, compare_page, sweep_page, how_page) with their sections.
"""
