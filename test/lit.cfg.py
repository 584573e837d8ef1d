# -*- Python -*-
"""lit configuration for the Loom regression suite (check-loom)."""

import os
import shutil

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "LOOM"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".loom", ".test", ".py"]
config.excludes = ["lit.cfg.py", "lit.site.cfg.py", "Inputs", "CMakeLists.txt"]

config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.loom_obj_root, "test")

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%loom_src", config.loom_src_root))
config.substitutions.append(("%examples", os.path.join(config.loom_src_root, "examples")))
config.substitutions.append(("%python", config.python_executable))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()

tool_dirs = [config.loom_tools_dir, config.llvm_tools_dir]
tools = ["loomc", "loom-opt", "LoomDSLTests", "LoomRuntimeTests", "llvm-nm"]
llvm_config.add_tool_substitutions(tools, tool_dirs)
llvm_config.with_environment("PATH", config.loom_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

# A GPU is present only where a CUDA driver is loadable.
if os.path.exists("/dev/nvidia0") or shutil.which("nvidia-smi"):
    config.available_features.add("cuda-gpu")

# The CPU backend is always built; end-to-end tests compile and run models.
config.available_features.add("loom-cpu-backend")
