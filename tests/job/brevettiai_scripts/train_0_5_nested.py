# ruff: noqa  # brevettiai-era code kept as users wrote it
"""A brevettiai 0.5-era job declaring its settings the 0.5 way, as a nested ``Settings``
class (a VueSettingsModule) of its Job subclass; only the imports differ."""

import json

from brevetti_job.compat import Job  # was: from brevettiai.platform import Job
from brevetti_schema.compat import (
    VueSettingsModule,
)  # was: from brevettiai.interfaces.vue_schema_utils import VueSettingsModule


class Augmentation(VueSettingsModule):
    def __init__(self, flip: bool = True, gamma: float = 1.0):
        self.flip = flip
        self.gamma = gamma


class TrainJob(Job):
    class Settings(VueSettingsModule):
        def __init__(
            self, epochs: int = 10, classes: list = None, augmentation: Augmentation = None
        ):
            self.epochs = epochs
            self.classes = classes or ["good"]
            self.augmentation = augmentation or Augmentation()


if __name__ == "__main__":
    job = TrainJob.init()
    s = job.settings
    job.add_output_metric("epochs", s.epochs)
    job.add_output_metric("classes", s.classes)
    job.add_output_metric("flip", s.augmentation.flip)
    job.add_output_metric("gamma", s.augmentation.gamma)
    job.upload_artifact("config.json", json.dumps(s.get_config(), sort_keys=True))
    job.complete_job()
    print(json.dumps({"type": type(s).__name__, "augmentation": type(s.augmentation).__name__}))
