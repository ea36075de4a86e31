"""Before/after examples of the langchain-imports codemod; tests/codemods run every one."""

from __future__ import annotations

from depsentry.codemods.interface import Case

CASES: tuple[Case, ...] = (
    Case(
        "from langchain.llms import OpenAI\n\nllm = OpenAI()\n",
        "from langchain_openai import OpenAI\n\nllm = OpenAI()\n",
        name="langchain-community-partner-in-one-pass",
    ),
    Case(
        "from langchain.chat_models import ChatOpenAI\n"
        "from langchain.embeddings import OpenAIEmbeddings\n"
        "from langchain.vectorstores import Chroma\n",
        "from langchain_chroma import Chroma\n"
        "from langchain_openai import ChatOpenAI, OpenAIEmbeddings\n",
        name="merged-and-sorted",
    ),
    Case(
        "from langchain.document_loaders import TextLoader\n"
        "from langchain.text_splitter import CharacterTextSplitter\n",
        "from langchain_community.document_loaders import TextLoader\n"
        "from langchain_text_splitters.character import CharacterTextSplitter\n",
        name="community-and-text-splitters",
    ),
    Case(
        "from langchain.embeddings.openai import OpenAIEmbeddings as Emb\n",
        "from langchain_openai import OpenAIEmbeddings as Emb\n",
        name="submodule-form-keeps-alias",
    ),
    Case(
        "from langchain.schema import Document, HumanMessage\n"
        "from langchain.prompts import PromptTemplate\n",
        "from langchain_core.documents import Document\n"
        "from langchain_core.messages import HumanMessage\n"
        "from langchain_core.prompts import PromptTemplate\n",
        name="core",
    ),
    Case(
        "from langchain.chains import LLMChain\nfrom langchain.memory import ConversationBufferMemory\n",
        "from langchain_classic.chains import LLMChain\n"
        "from langchain_classic.memory import ConversationBufferMemory\n",
        name="chains-and-memory-to-classic",
    ),
    Case(
        "from langchain_openai import ChatOpenAI\nfrom langchain.chat_models import ChatOpenAI\n",
        "from langchain_openai import ChatOpenAI\n",
        name="duplicate-dropped",
    ),
    Case(
        "from langchain_openai import OpenAIEmbeddings\nfrom langchain.llms import OpenAI\n",
        "from langchain_openai import OpenAI, OpenAIEmbeddings\n",
        name="merged-into-existing",
    ),
    Case(
        "from openai import OpenAI\nfrom langchain.llms import OpenAI\n\nllm = OpenAI()\n",
        "from openai import OpenAI\nfrom langchain_openai import OpenAI\n\nllm = OpenAI()\n",
        name="collision-rewritten-in-place",
    ),
    Case(
        "from openai import OpenAI\nfrom langchain.llms import OpenAI as LangChainOpenAI\n",
        "from langchain_openai import OpenAI as LangChainOpenAI\nfrom openai import OpenAI\n",
        name="collision-alias-kept",
    ),
    Case(
        "import langchain.llms as llms\n\nllm = llms.OpenAI(temperature=0)\n",
        "import langchain_openai\n\nllm = langchain_openai.OpenAI(temperature=0)\n",
        name="module-alias-attribute-use",
    ),
    Case(
        "import langchain.vectorstores\n\n\ndef store(docs):\n"
        "    return langchain.vectorstores.FAISS.from_documents(docs)\n",
        "import langchain_community.vectorstores\n\n\ndef store(docs):\n"
        "    return langchain_community.vectorstores.FAISS.from_documents(docs)\n",
        name="dotted-module-attribute-use",
    ),
    Case(
        "from langchain import llms\n\nprint(llms.OpenAI, llms.__name__)\n",
        "import langchain_openai\nfrom langchain import llms\n\n"
        "print(langchain_openai.OpenAI, llms.__name__)\n",
        name="module-still-read-keeps-import",
    ),
    Case(
        "def load():\n    try:\n        from langchain.llms import OpenAI, FakeListLLM\n"
        "    except ImportError:\n        return None\n    return OpenAI\n",
        "def load():\n    try:\n        from langchain_community.llms import FakeListLLM\n"
        "        from langchain_openai import OpenAI\n"
        "    except ImportError:\n        return None\n    return OpenAI\n",
        name="nested-import-in-place",
    ),
    Case(
        "from langchain.llms import HuggingFaceHub\n",
        "# TODO(depsentry): LangChain replaced HuggingFaceHub by "
        "langchain_huggingface.HuggingFaceEndpoint (its arguments differ): migrate by hand\n"
        "from langchain_community.llms import HuggingFaceHub\n",
        name="replaced-class-moves-only-as-far-as-its-name-todo",
    ),
    Case(
        "def f():\n    from langchain.chat_models import (init_chat_model, ChatOpenAI,\n"
        "        AzureChatOpenAI)\n    return init_chat_model\n",
        "def f():\n    from langchain.chat_models import (init_chat_model)\n"
        "    from langchain_openai import ChatOpenAI, AzureChatOpenAI\n    return init_chat_model\n",
        name="nested-partial-keeps-the-rest",
    ),
    Case("from langchain.chat_models import init_chat_model\n", name="still-in-langchain"),
    Case("from langchain_openai import ChatOpenAI\n", name="already-migrated"),
    Case("import langchain\n\nlangchain.debug = True\n", name="module-setting-untouched"),
    Case("from .llms import OpenAI\n", name="relative-untouched"),
    Case(
        "from langchain.llms import *\n",
        "# TODO(depsentry): a star import from a module LangChain moved: import the names "
        "from their new homes\nfrom langchain.llms import *\n",
        name="star-import-todo",
    ),
)
