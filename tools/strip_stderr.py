"""Remove stderr streams (TensorFlow's log lines) and execution timestamps from notebooks."""

import sys

import nbformat


def strip(notebook):
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = [output for output in cell.outputs
                            if not (output.output_type == "stream" and output.name == "stderr")]
            cell.metadata.pop("execution", None)
    return notebook


if __name__ == "__main__":
    for path in sys.argv[1:]:
        nbformat.write(strip(nbformat.read(path, as_version=4)), path)
