"""Shared pieces of the generated notebooks: title with Colab badge, install cell, set-up cell."""

import nbformat as nbf

REPOSITORY = "tltutor/tltutor"


class NotebookWriter:
    def __init__(self, name: str):
        self.name = name
        self.cells = []

    def md(self, text: str) -> None:
        self.cells.append(nbf.v4.new_markdown_cell(text.strip()))

    def code(self, text: str) -> None:
        self.cells.append(nbf.v4.new_code_cell(text.strip()))

    def header(self, title: str, introduction: str) -> None:
        badge = (f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
                 f"(https://colab.research.google.com/github/{REPOSITORY}/blob/main/notebooks/{self.name}.ipynb)")
        self.md(f"# {title}\n\n{badge}\n\n{introduction.strip()}")
        self.code(f'''
# Install tltutor when it is not there yet (Colab); does nothing where tltutor is installed.
import importlib.util

if importlib.util.find_spec("tltutor") is None:
    %pip install -q "tltutor @ git+https://github.com/{REPOSITORY}"
''')
        self.code('''
import logging
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
logging.getLogger("tensorflow").setLevel(logging.ERROR)

import numpy as np
import tltutor as tl

tl.reproducibility.seed_everything(0)
settings = tl.profile.defaults()
print("profile:", "quick" if tl.profile.is_quick() else "full", settings)
''')

    def switch_backbone_note(self) -> None:
        self.md('''
> **Online?** Everything here runs offline on EfficientNet-Lite0 and the Fashion-MNIST subset that
> ships with tltutor. With a network, any keras.applications backbone and any tfds dataset work
> the same way, for example:
> ```python
> train, validation, test, info = tl.data.load_dataset("tf_flowers", image_size=224, samples_per_class=100)
> model = tl.models.build_transfer_model("MobileNetV2", info.num_classes, image_size=224)
> ```
''')

    def exercise(self, question: str, check: str) -> None:
        """The closing exercise: the question, then a cell where the student replaces ``None``."""
        self.md(f"## Exercise\n\n{question.strip()}")
        self.code(f"answer = None\n{check};")

    def write(self) -> None:
        notebook = nbf.v4.new_notebook(cells=self.cells, metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"}})
        nbf.write(notebook, f"notebooks/{self.name}.ipynb")
