from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    """Hashed, compressed static files; `import … from "./x.js"` in the Mini App's ES modules is rewritten to
    the hashed names too, so one deploy never mixes old and new modules (and all of them cache forever)."""

    support_js_module_import_aggregation = True
    # Each pass settles one level of imports (main → shell → parent → student → tutor → router → ws → api → i18n).
    max_post_process_passes = 20
