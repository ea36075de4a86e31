"""openai-v1 cases for errors: renamed classes, handlers that keep catching what they caught."""

from __future__ import annotations

from depsentry.codemods.interface import Case

from .cases import helper

ERRORS = (
    Case(
        "import openai\nfrom tenacity import retry\n\n\n@retry\ndef ask():\n"
        '    return openai.Completion.create(prompt="p")\n',
        "import functools\nimport os\n\nimport openai\nfrom openai import OpenAI\nfrom tenacity import retry\n"
        + helper()
        + "# TODO(depsentry): v1 clients retry connection errors, 408, 409, 429 and 5xx themselves "
        "(max_retries=2): drop this retry or set max_retries=0 on the client\n"
        '@retry\ndef ask():\n    return _get_client().completions.create(prompt="p")\n',
        name="retry-decorator-todo",
    ),
    Case(
        "import openai\n\ntry:\n    pass\nexcept (openai.error.ServiceUnavailableError, openai.error.TryAgain):\n"
        "    pass\nexcept openai.error.PermissionError:\n    pass\nexcept openai.error.Timeout:\n    pass\n",
        "import openai\n\ntry:\n    pass\nexcept (openai.InternalServerError, openai.ConflictError):\n"
        "    pass\nexcept openai.PermissionDeniedError:\n    pass\nexcept openai.APITimeoutError:\n    pass\n",
        name="errors-attribute-form",
    ),
    Case(
        "from openai.error import InvalidRequestError, RateLimitError as RLE\n\n"
        "try:\n    pass\nexcept InvalidRequestError as e:\n    print(e)\nexcept RLE:\n    pass\n",
        "from openai import BadRequestError, RateLimitError as RLE\nfrom openai import NotFoundError\n\n"
        "try:\n    pass\nexcept (BadRequestError, NotFoundError) as e:\n    print(e)\nexcept RLE:\n    pass\n",
        name="errors-import-form-404-too",
    ),
    Case(
        "import openai\n\ntry:\n    pass\nexcept (openai.error.InvalidRequestError, KeyError):\n    pass\n"
        "ok = isinstance(exc, openai.error.InvalidRequestError)\n",
        "import openai\n\ntry:\n    pass\nexcept (openai.BadRequestError, openai.NotFoundError, KeyError):\n"
        "    pass\nok = isinstance(exc, (openai.BadRequestError, openai.NotFoundError))\n",
        name="errors-invalid-request-covers-404",
    ),
    Case(
        "import openai\n\ntry:\n    pass\nexcept openai.error.APIError:\n    print('api')\n"
        "except openai.error.RateLimitError:\n    print('slow down')\n",
        "import openai\n\ntry:\n    pass\nexcept openai.RateLimitError:\n    print('slow down')\n"
        "except (openai.APIConnectionError, openai.AuthenticationError, openai.BadRequestError, "
        "openai.ConflictError, openai.NotFoundError, openai.PermissionDeniedError):  "
        "# openai 0.x did not catch these here\n    raise\nexcept openai.APIError:\n    print('api')\n",
        name="errors-api-error-keeps-its-cases",
    ),
    Case(
        "import openai\n\ntry:\n    pass\nexcept openai.error.APIConnectionError:\n    pass\n",
        "import openai\n\ntry:\n    pass\nexcept openai.APITimeoutError:  # openai 0.x did not catch "
        "these here\n    raise\nexcept openai.APIConnectionError:\n    pass\n",
        name="errors-connection-error-not-timeouts",
    ),
    Case(
        "import openai\n\ntry:\n    pass\nexcept openai.error.APIError:\n    pass\nexcept Exception:\n    pass\n",
        "import openai\n\n# TODO(depsentry): in 1.x the handler for openai.error.APIError also catches "
        "failures that a later handler caught in 0.x: move that handler above it\n"
        "try:\n    pass\nexcept openai.APIError:\n    pass\nexcept Exception:\n    pass\n",
        name="errors-later-catch-all-todo",
    ),
    Case(
        "import openai\n\ntry:\n    pass\nexcept openai.error.OpenAIError:\n    pass\n"
        "except openai.error.RateLimitError:\n    pass\n",
        "import openai\n\ntry:\n    pass\nexcept openai.OpenAIError:\n    pass\n"
        "except openai.RateLimitError:\n    pass\n",
        name="errors-openai-error-keeps-its-place",
    ),
    Case(
        "import openai.error\n\nok = isinstance(exc, openai.error.AuthenticationError)\n",
        "import openai\n\nok = isinstance(exc, openai.AuthenticationError)\n",
        name="errors-import-submodule",
    ),
    Case(
        "import openai\n\nexcept_ = openai.InvalidRequestError\n",
        "import openai\n\n# TODO(depsentry): 0.x InvalidRequestError also covered 404 (a missing model "
        "or deployment): v1 raises NotFoundError for it; catch (BadRequestError, NotFoundError) "
        "where this is caught\nexcept_ = openai.BadRequestError\n",
        name="errors-root-reexport",
    ),
    Case(
        "import openai\n\ntry:\n    pass\nexcept openai.error.SignatureVerificationError:\n    pass\n",
        "import openai\n\ntry:\n    pass\n# TODO(depsentry): openai.error.SignatureVerificationError has no v1 "
        "equivalent (webhook signatures: client.webhooks.verify_signature)\n"
        "except openai.error.SignatureVerificationError:\n    pass\n",
        name="errors-without-equivalent",
    ),
)
