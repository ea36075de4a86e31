"""The langchain-imports codemod beyond its declared CASES: the move table, the pip packages it
reports, the CLI's --add-dependencies, and real imports in a venv with LangChain installed.

The import checks run in a side interpreter with langchain-classic, -community, -core,
-text-splitters and -openai installed (scripts/test makes `.venv-langchain`; or point
DEPSENTRY_LANGCHAIN_PYTHON at one); without it they skip.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from depsentry.codemods.files import SourceFile
from depsentry.codemods.langchain_imports import LangChainImportsCodemod
from depsentry.codemods.langchain_imports.moves import distribution, load, table
from depsentry.codemods.runner import Mode, Outcome, Summary, process_file, transform_source
from depsentry.errors import CodemodError, InputError
from depsentry.inputs.pin_writer import add_requirements

REPO = Path(__file__).resolve().parents[2]
_DEFAULT_PYTHON = REPO / ".venv-langchain" / "bin" / "python"

# Old-style programs as LangChain 0.0.x tutorials wrote them (Chroma aside: langchain-chroma
# needs chromadb, too heavy for the side venv; its rewrite is a declared case).
CORPUS = {
    "qa.py": """\
        import os

        from langchain.chains import RetrievalQA, LLMChain
        from langchain.chat_models import ChatOpenAI
        from langchain.document_loaders import TextLoader
        from langchain.embeddings.openai import OpenAIEmbeddings
        from langchain.llms import OpenAI
        from langchain.prompts import PromptTemplate, ChatPromptTemplate
        from langchain.schema import Document, HumanMessage, SystemMessage
        from langchain.text_splitter import CharacterTextSplitter, RecursiveCharacterTextSplitter
        from langchain.vectorstores import FAISS


        def build(path):
            docs = TextLoader(path).load()
            chunks = CharacterTextSplitter(chunk_size=500).split_documents(docs)
            store = FAISS.from_documents(chunks, OpenAIEmbeddings())
            return RetrievalQA.from_chain_type(llm=OpenAI(), retriever=store.as_retriever())
    """,
    "agent.py": """\
        import langchain.llms as llms
        from langchain.agents import AgentExecutor, AgentType, initialize_agent, Tool
        from langchain.callbacks import StdOutCallbackHandler
        from langchain.memory import ConversationBufferMemory
        from langchain.output_parsers import PydanticOutputParser
        from langchain.retrievers import BM25Retriever


        def agent(tools):
            memory = ConversationBufferMemory()
            return initialize_agent(
                tools, llms.OpenAI(temperature=0), agent=AgentType.ZERO_SHOT_REACT_DESCRIPTION,
                memory=memory, callbacks=[StdOutCallbackHandler()],
            )
    """,
    "chat.py": """\
        from openai import OpenAI
        from langchain.chat_models import ChatOpenAI as LangChainChat
        from langchain.llms import OpenAI as LangChainLLM
        from langchain.schema.messages import AIMessage
        from langchain_community.chat_models import ChatOpenAI
        from langchain.cache import InMemoryCache
        from langchain.embeddings import FakeEmbeddings


        def reply(text):
            try:
                from langchain.llms import FakeListLLM
            except ImportError:
                return None
            return FakeListLLM(responses=[text])
    """,
}


def _python() -> str:
    configured = os.environ.get("DEPSENTRY_LANGCHAIN_PYTHON")
    if configured:
        return configured
    if _DEFAULT_PYTHON.exists():
        return str(_DEFAULT_PYTHON)
    pytest.skip(
        "no interpreter with LangChain installed (.venv-langchain, DEPSENTRY_LANGCHAIN_PYTHON)"
    )


def _run(python: str, code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python, "-W", "ignore", "-c", code],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "USER_AGENT": "depsentry-tests"},
        check=False,
    )


def _migrate(source: str) -> str:
    return transform_source(LangChainImportsCodemod, source, {})[0]


# -- the table -------------------------------------------------------------------------------


def test_table_records_its_sources_and_resolves_chains() -> None:
    moves = table()
    assert set(moves.sources) >= {"langchain-classic", "langchain-community", "langchain"}
    assert all(version[0].isdigit() for version in moves.sources.values())
    assert len(moves.moves) > 5000
    chroma = moves.target("langchain.vectorstores", "Chroma")
    assert chroma is not None and chroma.path == "langchain_chroma.Chroma"  # two hops, one look-up
    assert chroma.requirement == "langchain-chroma"
    assert moves.target("langchain.chat_models", "init_chat_model") is None  # still there in 1.x
    assert moves.is_module("langchain") and moves.is_module("langchain.embeddings.openai")
    assert not moves.is_module("langchain_openai")


def test_no_move_lands_on_an_old_path() -> None:
    """Every chain ends somewhere no move starts: one run is enough."""
    moves = table()
    replaced = 0
    for move in moves.moves.values():
        if move.replaced_by is None:
            assert moves.target(move.module, move.name) is None, move
        else:  # it stops where the name still exists; the replacement is only named
            replaced += 1
            again = moves.target(move.module, move.name)
            assert again is None or again.replaced_by == move.replaced_by, move
    assert 0 < replaced < len(moves.moves) // 10


def test_a_cycle_in_the_data_stops() -> None:
    edges = {"a.X": "b.X", "b.X": "a.X", "c.Y": "d.e.Y", "d.e.Y": "f.Z", "g.W": "h.V"}
    loaded = load({"sources": {}, "moves": edges})
    assert loaded.target("a", "X") is not None
    renamed = loaded.moves["c.Y"]  # c.Y -> d.e.Y -> f.Z: stops at d.e.Y, names f.Z
    assert (renamed.path, renamed.replaced_by, renamed.requirement) == ("d.e.Y", "f.Z", "d")
    first_hop = loaded.moves["g.W"]
    assert (first_hop.path, first_hop.replaced_by) == ("g.W", "h.V")
    assert distribution("langchain_google_genai.chat") == "langchain-google-genai"


def test_generator_reads_wheels_statically(tmp_path: Path) -> None:
    """The script's readers on small hand-made wheels: lookups, forwarders, re-exports."""
    import zipfile

    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import make_langchain_moves as generator
    finally:
        sys.path.pop(0)
    classic = tmp_path / "langchain_classic-9.0-py3-none-any.whl"
    with zipfile.ZipFile(classic, "w") as archive:
        archive.writestr(
            "langchain_classic/llms/__init__.py",
            "def __getattr__(name):\n    from langchain_community import llms\n"
            "    return getattr(llms, name)\n__all__ = ['OpenAI']\n",
        )
        archive.writestr(
            "langchain_classic/vectorstores/__init__.py",
            "from langchain_classic._api import create_importer\n"
            "DEPRECATED_LOOKUP = {'Chroma': 'langchain_community.vectorstores'}\n"
            "_import_attribute = create_importer(__package__, deprecated_lookups=DEPRECATED_LOOKUP)\n",
        )
        archive.writestr(
            "langchain_classic/chains/__init__.py",
            "from langchain_classic._api import create_importer\n"
            "_module_lookup = {'LLMChain': 'langchain_classic.chains.llm'}\n"
            "importer = create_importer(__package__, module_lookup=_module_lookup)\n"
            "__all__ = ['LLMChain']\n",
        )
        archive.writestr(
            "langchain_classic/schema/__init__.py",
            "from langchain_core.messages import HumanMessage\nfrom x import y\n"
            "class Kept: ...\n__all__ = ['HumanMessage', 'Kept']\n",
        )
        archive.writestr(
            "langchain_classic/__init__.py",
            "def __getattr__(name):\n    if name == 'LLMChain':\n"
            "        from langchain_classic.chains import LLMChain\n        return LLMChain\n",
        )
        archive.writestr("langchain_classic/_private.py", "X = 1\n")
        archive.writestr("langchain_classic/broken.py", "def (:\n")
    community = tmp_path / "langchain_community-9.0-py3-none-any.whl"
    with zipfile.ZipFile(community, "w") as archive:
        archive.writestr(
            "langchain_community/vectorstores/__init__.py",
            "_module_lookup = {'Chroma': 'langchain_community.vectorstores.chroma'}\n",
        )
        archive.writestr(
            "langchain_community/vectorstores/chroma.py",
            "@deprecated(since='0.2', alternative_import='langchain_chroma.Chroma')\n"
            "class Chroma: ...\n",
        )
        archive.writestr(
            "langchain_community/docstore/document.py",
            "from langchain_core.documents import Document\n__all__ = ['Document']\n",
        )
    current = {"langchain.schema": {"Kept"}}
    moves = {**generator.classic_moves(classic, current), **generator.community_moves(community)}
    assert moves["langchain.llms.OpenAI"] == "langchain_community.llms.OpenAI"
    assert moves["langchain.vectorstores.Chroma"] == "langchain_community.vectorstores.Chroma"
    assert moves["langchain.chains.LLMChain"] == "langchain_classic.chains.LLMChain"
    assert moves["langchain.LLMChain"] == "langchain_classic.chains.LLMChain"
    assert moves["langchain.schema.HumanMessage"] == "langchain_core.messages.HumanMessage"
    assert "langchain.schema.Kept" not in moves  # the current langchain still exports it
    assert moves["langchain_community.vectorstores.Chroma"] == "langchain_chroma.Chroma"
    assert moves["langchain_community.docstore.document.Document"] == (
        "langchain_core.documents.Document"
    )
    assert not any("_private" in key for key in moves)
    assert generator.version_of(classic) == "9.0"


def test_shipped_table_matches_its_document() -> None:
    text = (REPO / "depsentry/codemods/langchain_imports/moves.json").read_text()
    document = json.loads(text)
    assert document["generated_by"] == "scripts/make_langchain_moves.py"
    assert set(document["moves"]) == set(table().moves)


# -- rewrites beyond the declared cases ------------------------------------------------------


def test_unparsable_file_is_untouched(tmp_path: Path) -> None:
    path = tmp_path / "broken.py"
    data = b"from langchain.llms import OpenAI\ndef (:\n"
    path.write_bytes(data)
    result = process_file(LangChainImportsCodemod, {}, SourceFile(path, tmp_path), data)
    assert result.outcome is Outcome.FAILED and "cannot parse" in result.error
    assert path.read_bytes() == data
    with pytest.raises(CodemodError):
        transform_source(LangChainImportsCodemod, data.decode(), {})


def test_requirements_reach_the_summary(tmp_path: Path) -> None:
    path = tmp_path / "app.py"
    data = b"from langchain.llms import OpenAI\nfrom langchain.chains import LLMChain\n"
    path.write_bytes(data)
    result = process_file(LangChainImportsCodemod, {}, SourceFile(path, tmp_path), data)
    assert result.outcome is Outcome.CHANGED
    assert result.requirements == ("langchain-classic", "langchain-openai")
    assert any("langchain_classic" in warning for warning in result.warnings)
    summary = Summary()
    summary.add(result)
    assert summary.line(Mode.DIFF).endswith("; needs langchain-classic, langchain-openai")


def test_attribute_uses_of_a_shared_top_package() -> None:
    """`import langchain.llms` goes once its uses are rewritten; `langchain.debug` keeps
    `import langchain`."""
    source = (
        "import langchain\nimport langchain.llms\n\nlangchain.debug = True\n"
        "llm = langchain.llms.OpenAI()\n"
    )
    assert _migrate(source) == (
        "import langchain\nimport langchain_openai\n\nlangchain.debug = True\n"
        "llm = langchain_openai.OpenAI()\n"
    )
    kept = "import langchain.llms\n\nprint(langchain.__version__, langchain.llms.OpenAI)\n"
    assert _migrate(kept) == (
        "import langchain.llms\nimport langchain_openai\n\n"
        "print(langchain.__version__, langchain_openai.OpenAI)\n"
    )


def test_mixed_statement_and_semicolons() -> None:
    source = "import os; from langchain.llms import OpenAI, FakeListLLM as Fake\n"
    assert _migrate(source) == (
        "import os\n\nfrom langchain_community.llms import FakeListLLM as Fake\n"
        "from langchain_openai import OpenAI\n"
    )
    nested = (
        "def f():\n    import os; from langchain.llms import (OpenAI, Cohere,)\n    return os\n"
    )
    assert _migrate(nested) == (
        "def f():\n    import os\n    from langchain_cohere import Cohere\n"
        "    from langchain_openai import OpenAI\n    return os\n"
    )


def test_replaced_name_used_as_attribute_warns() -> None:
    source = "import langchain.llms as llms\n\nx = llms.HuggingFaceHub().invoke('q')\n"
    output, warnings = transform_source(LangChainImportsCodemod, source, {})
    assert output == (
        "import langchain_community.llms\n\n"
        "x = langchain_community.llms.HuggingFaceHub().invoke('q')\n"
    )
    assert any("HuggingFaceEndpoint" in warning for warning in warnings)
    kept = "import langchain\n\nprompt = langchain.Prompt\n"
    output, warnings = transform_source(LangChainImportsCodemod, kept, {})
    assert output == kept and any("PromptTemplate" in warning for warning in warnings)


def test_corpus_rewrites_are_idempotent_and_complete() -> None:
    for name, source in CORPUS.items():
        output = _migrate(textwrap.dedent(source))
        assert _migrate(output) == output, name
        for node in ast.walk(ast.parse(output)):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert table().target(node.module, node.names[0].name) is None, (name, node.module)


# -- the CLI ---------------------------------------------------------------------------------


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "depsentry.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        check=False,
    )


def test_cli_adds_dependencies_to_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "app"\ndependencies = [\n    "langchain==0.0.300",  # old\n]\n'
    )
    (tmp_path / "requirements.txt").write_text("langchain==0.0.300\n")
    package = tmp_path / "app"
    package.mkdir()
    (package / "main.py").write_text("from langchain.llms import OpenAI\n")
    done = _cli(
        "codemod", "run", "langchain-imports", "app", "--write", "--add-dependencies", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "needs langchain-openai" in done.stderr
    assert (package / "main.py").read_text() == "from langchain_openai import OpenAI\n"
    assert (tmp_path / "pyproject.toml").read_text() == (
        '[project]\nname = "app"\ndependencies = [\n    "langchain==0.0.300",  # old\n'
        '    "langchain-openai",\n]\n'
    )
    assert (tmp_path / "requirements.txt").read_text() == "langchain==0.0.300\n"  # pyproject wins
    (package / "more.py").write_text("from langchain.chat_models import ChatOpenAI\n")
    again = _cli(
        "codemod", "run", "langchain-imports", "app", "--write", "--add-dependencies", cwd=tmp_path
    )
    assert again.returncode == 0 and "already declares langchain-openai" in again.stderr


def test_cli_add_dependencies_needs_write_and_a_file(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("from langchain.llms import OpenAI\n")
    done = _cli("codemod", "run", "langchain-imports", ".", "--add-dependencies", cwd=tmp_path)
    assert done.returncode == 2 and "--add-dependencies needs --write" in done.stderr
    from depsentry.commands.codemod import dependency_file

    (tmp_path / "requirements.txt").write_text("x\n")
    assert dependency_file(tmp_path / "main.py") == tmp_path / "requirements.txt"
    (tmp_path / "requirements.txt").unlink()
    with pytest.raises(CodemodError, match="no pyproject.toml or requirements.txt"):
        dependency_file(tmp_path / "main.py")


def test_add_requirements_formats(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("Langchain_OpenAI==0.1 \\\n  --hash=sha256:ab\nrequests")
    added = add_requirements(requirements, ["langchain-openai", "langchain-community"])
    assert added.added == ("langchain-community",)
    assert added.text.endswith("requests\nlangchain-community\n")
    poetry = tmp_path / "pyproject.toml"
    poetry.write_text('[tool.poetry.dependencies]\npython = "^3.11"\n')
    assert 'langchain-core = "*"' in add_requirements(poetry, ["langchain-core"]).text
    inline = 'dependencies = ["a"]\n'
    poetry.write_text(f'[project]\nname = "x"\n{inline}')
    assert (
        'dependencies = ["a", "langchain-core"]'
        in add_requirements(poetry, ["langchain-core"]).text
    )
    poetry.write_text('[project]\nname = "x"\n')
    assert 'dependencies = ["b"]' in add_requirements(poetry, ["b"]).text
    poetry.write_text('[project]\nname = "x"\ndependencies = ["not a requirement!", "b"]\n')
    assert add_requirements(poetry, ["B", "c"]).added == ("c",)
    poetry.write_text('[project]\nname = "x"\ndynamic = ["dependencies"]\n')
    with pytest.raises(InputError, match="no \\[project\\]"):
        add_requirements(poetry, ["b"])
    poetry.write_text('[project]\nname = "x"\ndependencies = "a"\n')
    with pytest.raises(InputError, match="not an array"):
        add_requirements(poetry, ["b"])


# -- real imports ----------------------------------------------------------------------------


def test_corpus_rewritten_imports_import() -> None:
    """Every import the codemod writes for the corpus imports with the target packages installed."""
    python = _python()
    lines = [
        ast.unparse(node)
        for source in CORPUS.values()
        for node in ast.walk(ast.parse(_migrate(textwrap.dedent(source))))
        if isinstance(node, ast.Import | ast.ImportFrom) and "langchain" in ast.unparse(node)
    ]
    assert any("langchain_openai" in line for line in lines)
    assert any("langchain_classic" in line for line in lines)
    code = f"for line in {sorted(set(lines))!r}:\n    exec(line)\nprint('ok')\n"
    done = _run(python, code)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


# Moves the table cannot fix: LangChain deleted the name everywhere (community 0.4 dropped
# Baseten and the neptune chains; PythonREPL is refused at import for security).
KNOWN_GAPS = {"langchain.llms.Baseten", "langchain.llms.baseten.Baseten"}


def test_sample_of_table_entries_import() -> None:
    """Every 25th entry (and the best-known ones) resolves to a real module attribute in the
    installed packages; a missing optional third-party dependency is not a wrong path."""
    assert table().moves["langchain.llms.HuggingFaceHub"].replaced_by
    python = _python()
    moves = table().moves
    keys = sorted(moves)[::25] + [
        "langchain.llms.OpenAI",
        "langchain.chat_models.ChatOpenAI",
        "langchain.embeddings.OpenAIEmbeddings",
        "langchain.document_loaders.TextLoader",
        "langchain.text_splitter.CharacterTextSplitter",
        "langchain.chains.RetrievalQA",
        "langchain.schema.HumanMessage",
    ]
    # A replaced name is checked where its TODO points (its same-name stop may be gone).
    paths = {key: moves[key].replaced_by or moves[key].path for key in keys}
    sample = {
        key: tuple(path.rsplit(".", 1)) for key, path in paths.items() if key not in KNOWN_GAPS
    }
    code = textwrap.dedent(
        f"""
        import importlib, json, sys
        bad = {{}}
        for key, (module, name) in {sample!r}.items():
            top = module.partition(".")[0]
            try:
                importlib.import_module(top)
            except ImportError:
                continue  # that package is not installed here
            try:
                getattr(importlib.import_module(module), name)
            except ModuleNotFoundError as exc:
                if (exc.name or "").startswith("langchain"):
                    bad[key] = repr(exc)
            except Exception as exc:
                bad[key] = repr(exc)
        print(json.dumps(bad))
        """
    )
    done = _run(python, code)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {}
