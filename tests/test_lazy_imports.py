"""What a CLI search imports: the store's REST client and the transcript keys stay out.

The times these imports cost are in docs/benchmarks.md (issue 23); this checks the modules
themselves, in a fresh interpreter, so it holds on a loaded machine.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mmrag.cli.main import main


def _modules_after(code: str, *names: str) -> dict[str, bool]:
    probe = f"import sys\n{code}\nprint({{m: m in sys.modules for m in {names!r}}})\n"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True)
    return eval(out.stdout.strip().splitlines()[-1])  # noqa: S307 - our own probe's dict


def test_search_skips_the_rest_client_and_phonetic_keys(tmp_path: Path, corpus: Path, capsys):
    index = tmp_path / "index"
    assert main(["ingest", str(corpus), "--index", str(index), "--embedder", "hash",
                 "--no-progress"]) == 0
    capsys.readouterr()
    code = ("from mmrag.cli.main import main\n"
            f"assert main(['search', '熊猫吃什么', '--index', {str(index)!r}]) == 0")
    loaded = _modules_after(code, "lancedb", "lance_namespace_urllib3_client.api",
                            "pypinyin", "mmrag.text.phonetic")
    # lancedb is used; its namespace client's API classes (1-2 s of pydantic) are not, and
    # an index with no recordings needs no sound-alike keys of the query
    assert loaded == {"lancedb": True, "lance_namespace_urllib3_client.api": False,
                      "pypinyin": False, "mmrag.text.phonetic": True}


def test_deferred_package_still_gives_its_attributes():
    code = ("from mmrag._lazy import defer_package_init\n"
            "defer_package_init('lance_namespace_urllib3_client')\n"
            "import lancedb\n"
            "import lance_namespace_urllib3_client as client\n"
            "assert 'lance_namespace_urllib3_client.api' not in sys.modules\n"
            "import threading\n"
            "got = []\n"
            "asks = [threading.Thread(target=lambda: got.append(client.ApiClient))\n"
            "        for _ in range(4)]\n"
            "[t.start() for t in asks]; [t.join() for t in asks]\n"
            "assert len(got) == 4 and {c.__name__ for c in got} == {'ApiClient'}\n"
            "assert client.__version__\n")
    loaded = _modules_after(code, "lance_namespace_urllib3_client.api")
    assert loaded == {"lance_namespace_urllib3_client.api": True}


def test_a_command_sets_passive_openmp_waits_before_models_load(tmp_path: Path):
    import os

    probe = ("import os\nfrom mmrag.cli.main import main\n"
             f"main(['sources', '--index', {str(tmp_path / 'none')!r}])\n"
             "print(os.environ.get('OMP_WAIT_POLICY'))\n")
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         env=env, check=True)
    assert out.stdout.strip().splitlines()[-1] == "PASSIVE"


def test_lancedb_imports_without_building_its_namespace_models_or_override_checks():
    code = ("from mmrag.stores.lance_indexes import modules\n"
            "lancedb, pa = modules()\n"
            "from lance_namespace_urllib3_client.models import ListTablesResponse as M\n"
            "assert not M.__pydantic_complete__  # its validator is built on first use\n"
            "assert M(tables=['a']).tables == ['a'] and M.__pydantic_complete__\n"
            "import pydantic\n"
            "assert 'defer_build' not in pydantic.BaseModel.model_config\n"
            "if sys.version_info < (3, 12):\n"
            "    assert 'overrides' not in sys.modules  # the stand-in went away\n"
            "    import overrides\n"
            "    assert hasattr(overrides, 'EnforceOverrides') and overrides.__file__\n")
    loaded = _modules_after(code, "lancedb")
    assert loaded == {"lancedb": True}
