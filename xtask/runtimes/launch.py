#!/usr/bin/env python3
"""Starts a real Foundry Local web service, offline, on 127.0.0.1, serving the generated models.

usage: launch.py --runtime core2|core1 --models DIR --state DIR [--port N]

  core2  the C++ Core of PyPI `foundry-local-sdk` 2.x
  core1  the C# Core of PyPI `foundry-local-core` 1.x (with `foundry-local-sdk` 1.x)

DIR is a model cache written by gen_models.py. The runtimes only serve models their catalog lists,
and the public catalog is out of reach here, so a small HTTP server on loopback stands in for it,
answering in the format each runtime asks for. Prints `FOUNDRY_LOCAL_URL=<url>` once the service
answers, then runs until SIGTERM or SIGINT and stops the service before exiting. Logs and runtime
state go under the --state directory.
"""
import argparse
import http.server
import json
import os
import signal
import sys
import threading

# The 1.x Core's telemetry looks up an outside host unless this is set before it starts; the
# variable must be in the environment before the SDK loads the native library.
os.environ.setdefault("OTEL_SDK_DISABLED", "true")

APP_NAME = "foundry-local-rs-e2e"
REGION = "centralus"  # an explicit region skips the runtimes' region detection (a network call)
DEVICE_FIELD = "properties/variantInfo/variantMetadata/device"


def catalog_entry(model):
    """One model in the Azure ML registry format both runtimes read. The id they serve is
    `name:version`, the alias comes from the `alias` tag, the task from `inferenceTasks`."""
    asset = f"azureml://registries/azureml/models/{model['name']}/versions/{model['version']}"
    return {
        "assetId": asset,
        "entityId": asset,
        "annotations": {
            "tags": {"alias": model["alias"], "task": model["task"], "foundryLocal": ""},
            "systemCatalogData": {
                "publisher": model["publisher"],
                "displayName": model["alias"],
                "inferenceTasks": [model["task"]],
                "modelLimits": {"textLimits": {"maxOutputTokens": 256, "inputContextWindow": model["context"]}},
            },
        },
        "properties": {
            "name": model["name"],
            "version": model["version"],
            "variantInfo": {
                "parents": [{"assetId": f"azureml://registries/azureml/models/{model['alias']}/versions/1"}],
                "variantMetadata": {"device": "cpu", "executionProvider": "CPUExecutionProvider",
                                    "modelType": "ONNX", "fileSizeBytes": model["bytes"]},
            },
        },
    }


def matches(entry, search_filter):
    """The filters the runtimes send: by device (one query per execution provider) and by name
    (looking one model up). Other fields are not narrowed."""
    wanted = [str(v).lower() for v in search_filter.get("values", [])]
    field = search_filter.get("field")
    if field == DEVICE_FIELD:
        return entry["properties"]["variantInfo"]["variantMetadata"]["device"] in wanted
    if field in ("name", "properties/name"):
        return entry["properties"]["name"].lower() in wanted
    if field == "properties/id":
        return f"{entry['properties']['name']}:{entry['properties']['version']}".lower() in wanted
    if field == "annotations/tags/alias":
        return entry["annotations"]["tags"]["alias"].lower() in wanted
    return True


def catalog_server(entries, runtime, log_path):
    """A loopback HTTP server answering every POST with the entries its filters select. The 2.x
    Core wants `{"value": [...]}`; the 1.x Core wraps its query in `indexEntitiesRequest` and wants
    the answer wrapped in `indexEntitiesResponse`."""

    class Catalog(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            try:
                query = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                query = {}
            query = query.get("indexEntitiesRequest", query) if isinstance(query, dict) else {}
            filters = query.get("filters") or []
            with open(log_path, "a", encoding="utf-8") as log:  # what the runtime asked, for debugging
                log.write(json.dumps({"path": self.path, "filters": filters}) + "\n")
            value = [e for e in entries if all(matches(e, f) for f in filters)]
            if runtime == "core1":
                answer = {"indexEntitiesResponse": {"totalCount": len(value), "value": value,
                                                    "nextSkip": None, "continuationToken": None}}
            else:
                answer = {"value": value}
            body = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_):
            pass  # the runtime's own logs say what it fetched

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Catalog)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def configuration(sdk, runtime, catalog_url, models, state, port):
    """The SDK configuration of each generation: same core fields, different catalog settings."""
    from foundry_local_sdk.logging_helper import LogLevel

    common = dict(
        app_name=APP_NAME,
        app_data_dir=os.path.join(state, "appdata"),
        logs_dir=os.path.join(state, "logs"),
        model_cache_dir=models,
        log_level=LogLevel.WARNING,
        web=sdk.Configuration.WebService(urls=f"http://127.0.0.1:{port}"),
    )
    if runtime == "core2":
        return sdk.Configuration(catalog_urls=[(catalog_url, None)], catalog_region=REGION,
                                 disable_nonessential_telemetry=True, **common)
    # The 1.x Core appends `/entities/crossRegion` to this base.
    settings = {"AzureCatalogUri": catalog_url, "ModelRegistryRegion": REGION}
    return sdk.Configuration(additional_settings=settings, **common)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runtime", choices=["core1", "core2"], required=True)
    parser.add_argument("--models", required=True, help="model cache written by gen_models.py")
    parser.add_argument("--state", required=True, help="directory for the runtime's logs and data")
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    args = parser.parse_args()

    models = os.path.abspath(args.models)
    with open(os.path.join(models, "models.json"), encoding="utf-8") as f:
        entries = [catalog_entry(m) for m in json.load(f)]
    # Both runtimes keep their last catalog in this file, each in its own schema, and may read it
    # back: start from the catalog server only.
    try:
        os.remove(os.path.join(models, "foundry.modelinfo.json"))
    except FileNotFoundError:
        pass
    os.makedirs(args.state, exist_ok=True)

    catalog = catalog_server(entries, args.runtime, os.path.join(args.state, "catalog-requests.jsonl"))
    catalog_url = f"http://127.0.0.1:{catalog.server_address[1]}/catalog"

    import foundry_local_sdk as sdk  # after the environment is set: it loads the native Core

    config = configuration(sdk, args.runtime, catalog_url, models, args.state, args.port)
    sdk.FoundryLocalManager.initialize(config)
    manager = sdk.FoundryLocalManager.instance
    manager.start_web_service()

    # Only now: the 1.x Core's .NET runtime installs its own SIGTERM handler while it initializes,
    # which would otherwise replace ours and leave the process running.
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"FOUNDRY_LOCAL_URL={manager.urls[0].rstrip('/')}", flush=True)

    while not stop.wait(0.5):  # a timed wait lets the signal handlers run promptly
        pass
    manager.stop_web_service()
    catalog.shutdown()
    print("stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
