# ruff: noqa  # brevettiai-era code kept as users wrote it
"""A brevettiai 0.5-era job script; only the import differs from the original."""

import io
import json
import os
import tarfile

from brevetti_job.compat import Job  # was: from brevettiai.platform import Job

SCHEMA = os.path.join(os.path.dirname(__file__), "settings-schema.json")

job = Job.init(schema_path=SCHEMA)
epochs = job.settings.training.epochs
history = [{"epoch": e, "loss": round(1.0 / e, 4)} for e in range(1, epochs + 1)]

job.add_output_metric("epochs", epochs)
job.add_output_metric("accuracy", 0.875)
job.add_output_metric("per_class", {"ok": 0.9, "bad": 0.85})
job.add_output_metrics({"confusion": [[40, 2], [3, 35]]})
job.upload_artifact("history.json", json.dumps(history))
job.upload_artifact(("reports", "summary.txt"), "epochs: %d\n" % epochs)
with open(job.artifact_path("plots", "loss.csv"), "w") as out:
    out.write("epoch,loss\n" + "".join("%(epoch)d,%(loss)s\n" % h for h in history))
job.upload_chart("loss", json.dumps({"mark": "line", "data": {"values": history}}))

model = job.temp_path("model.tar.gz")
with tarfile.open(model, "w:gz") as tar:
    payload = json.dumps({"image_size": job.settings.image_size}).encode()
    info = tarfile.TarInfo("model.json")
    info.size = len(payload)
    tar.addfile(info, io.BytesIO(payload))
job.upload_job_output()
job.complete_job(model)
print(
    json.dumps({"run_id": job.run_id, "extra": job.settings.extra, "augment": job.settings.augment})
)
