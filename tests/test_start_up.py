"""The backend's start-up: TensorFlow's known noise stays off stderr, anything else written then reaches the user."""

import os
import subprocess
import sys
import textwrap


def _run(body: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(body)], env=environment, capture_output=True,
                          text=True, timeout=300)


def test_known_noise_is_dropped_and_a_real_error_is_printed_back():
    completed = _run('''
        import os
        from tltutor import lazy
        with lazy._stderr_file_descriptor_filtered():
            os.write(2, b"I0000 00:00:1 2750 cudart_stub.cc:31] Could not find cuda drivers on your machine, "
                        b"GPU will not be used.\\n")
            os.write(2, b"E0000 cuda_dnn.cc:522] Loaded runtime CuDNN library: 8.1.0 but source was compiled "
                        b"with: 8.9.4\\n")
        print("done")
    ''')
    assert completed.returncode == 0 and completed.stdout.strip() == "done"
    assert "Loaded runtime CuDNN library: 8.1.0" in completed.stderr
    assert "Could not find cuda drivers" not in completed.stderr


def test_the_quiet_import_leaves_stderr_empty_on_this_machine():
    completed = _run('''
        import tltutor as tl
        tl.training  # imports Keras and TensorFlow, and runs a first operation
        import keras
        print(keras.backend.backend())
    ''')
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert completed.stderr.strip() == "", completed.stderr[-2000:]
