# ruff: noqa  # brevettiai-era code kept as users wrote it
"""A brevettiai 2.0-era job: a Job subclass with run() and a pydantic settings class;
only the import differs from the original."""

import json
from typing import Literal, Optional

from pydantic import Field

from brevetti_job.compat import Job, JobSettings  # was: from brevettiai import Job, JobSettings


class Training(JobSettings):
    epochs: int = Field(3, ge=1, le=50, description="Passes over the data")
    optimizer: Literal["adam", "sgd"] = "adam"
    seed: Optional[int] = None


class Settings(JobSettings):
    training: Training = Training()
    classes: list[str] = ["good", "bad"]
    image_size: int = Field(64, gt=0)


class TrainJob(Job):
    settings: Settings

    def run(self):
        s = self.settings
        self.add_output_metric("epochs", s.training.epochs)
        self.add_output_metric("optimizer", s.training.optimizer)
        self.add_output_metric("seed", s.training.seed)
        self.add_output_metric("classes", s.classes)
        notes = self.artifact_path("notes.txt")
        self.io.write_file(notes, "trained on %s\n" % ", ".join(s.classes))
        assert self.io.read_file(notes) == ("trained on %s\n" % ", ".join(s.classes)).encode()
        self.upload_chart(
            "sizes", json.dumps({"mark": "bar", "data": {"values": [{"s": s.image_size}]}})
        )
        model = self.artifact_path("model", "saved_model.bin")
        with open(model, "wb") as out:
            out.write(b"weights")
        print(json.dumps({"extra": s.extra, "type": type(s).__name__, "run_id": self.run_id}))
        return model


if __name__ == "__main__":
    job = TrainJob.init()
    job.start()
