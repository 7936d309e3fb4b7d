"""Remove stderr streams, TensorFlow's log lines and execution timestamps from notebooks."""

import sys

import nbformat

LOG_PREFIXES = ("WARNING:tensorflow:", "INFO:tensorflow:", "WARNING:absl:", "INFO:absl:")


def _without_log_lines(text):
    return "".join(line for line in text.splitlines(keepends=True) if not line.startswith(LOG_PREFIXES))


def strip(notebook):
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.outputs:
            if output.output_type == "stream":
                if output.name == "stderr":
                    continue
                output.text = _without_log_lines(output.text)
                if not output.text.strip():
                    continue
            kept.append(output)
        cell.outputs = kept
        cell.metadata.pop("execution", None)
    return notebook


if __name__ == "__main__":
    for path in sys.argv[1:]:
        nbformat.write(strip(nbformat.read(path, as_version=4)), path)
