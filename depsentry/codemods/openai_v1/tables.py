"""What openai 0.x names become in 1.x: resource calls, errors, module settings, removed helpers.

Sources: the #742 migration guide, `v0.28.1:openai/{error,api_requestor}.py` and
`api_resources/*.py` (v0 signatures), `src/openai/{_exceptions,resources/**}.py` (v1); see
../shared/research/codemod-anchors.md §1. Grit's table is not used: it is wrong for Audio,
Image edits/variations, File.download, FineTuningJob and the renamed errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Target:
    """The v1 call for one v0 resource method.

    `path` is the attribute chain under the client; `positional` names the v1 keywords for the
    v0 positional parameters (v1 `create` methods are keyword-only); `renames` maps v0 keywords
    to v1 keywords; `returns_model` is False where the result is not a pydantic model.
    """

    path: tuple[str, ...]
    positional: tuple[str, ...] = ()
    renames: Mapping[str, str] = field(default_factory=dict)
    returns_model: bool = True
    read_content: bool = False  # v0 returned bytes; v1 returns a binary response: add `.content`


_ID = {"id": "file_id", "sid": "file_id"}

# (v0 resource, v0 method without the `a` prefix) -> v1 call.
RESOURCES: Mapping[tuple[str, str], Target] = {
    ("ChatCompletion", "create"): Target(("chat", "completions", "create")),
    ("Completion", "create"): Target(("completions", "create")),
    ("Embedding", "create"): Target(("embeddings", "create")),
    ("Moderation", "create"): Target(("moderations", "create"), ("input", "model")),
    ("Image", "create"): Target(("images", "generate")),
    ("Image", "create_edit"): Target(("images", "edit"), ("image", "mask")),
    ("Image", "create_variation"): Target(("images", "create_variation"), ("image",)),
    ("Audio", "transcribe"): Target(("audio", "transcriptions", "create"), ("model", "file")),
    ("Audio", "translate"): Target(("audio", "translations", "create"), ("model", "file")),
    ("File", "create"): Target(("files", "create"), ("file", "purpose")),
    ("File", "list"): Target(("files", "list")),
    ("File", "retrieve"): Target(("files", "retrieve"), ("file_id",), _ID),
    ("File", "delete"): Target(("files", "delete"), ("file_id",), _ID),
    ("File", "download"): Target(
        ("files", "content"), ("file_id",), _ID, returns_model=False, read_content=True
    ),
    ("FineTuningJob", "create"): Target(("fine_tuning", "jobs", "create")),
    ("FineTuningJob", "list"): Target(
        ("fine_tuning", "jobs", "list"), ("limit", "after"), {"starting_after": "after"}
    ),
    ("FineTuningJob", "retrieve"): Target(
        ("fine_tuning", "jobs", "retrieve"), ("fine_tuning_job_id",), {"id": "fine_tuning_job_id"}
    ),
    ("FineTuningJob", "cancel"): Target(
        ("fine_tuning", "jobs", "cancel"), ("fine_tuning_job_id",), {"id": "fine_tuning_job_id"}
    ),
    ("FineTuningJob", "list_events"): Target(
        ("fine_tuning", "jobs", "list_events"),
        ("fine_tuning_job_id", "limit", "after"),
        {"id": "fine_tuning_job_id"},
    ),
    ("Model", "list"): Target(("models", "list")),
    ("Model", "retrieve"): Target(("models", "retrieve"), ("model",), {"id": "model"}),
    ("Model", "delete"): Target(("models", "delete"), ("model",), {"sid": "model"}),
}

# Every v0 method that has an `a`-prefixed async twin; the twin maps to the same target.
ASYNC_PREFIX = "a"

# v0 resources or methods with no v1 call.
REMOVED: Mapping[str, str] = {
    "Engine": "openai.Engine was removed in v1: pass the engine name as model= and use client.models for listing",
    "Edit": "openai.Edit was removed (the edits endpoint is retired): use client.chat.completions.create",
    "FineTune": "openai.FineTune was removed (the fine-tunes endpoint is retired): use client.fine_tuning.jobs",
    "Customer": "openai.Customer was removed in v1 and has no replacement",
    "Deployment": "openai.Deployment was removed in v1: manage Azure deployments with azure-mgmt-cognitiveservices",
    "ErrorObject": "openai.ErrorObject was removed in v1: read the error from the exception's .body",
    "Audio.transcribe_raw": "openai.Audio.transcribe_raw was removed: pass file=(filename, data) to client.audio.transcriptions.create",
    "Audio.translate_raw": "openai.Audio.translate_raw was removed: pass file=(filename, data) to client.audio.translations.create",
    "File.find_matching_files": "openai.File.find_matching_files was removed: filter client.files.list() yourself",
}

RESOURCE_NAMES = frozenset(
    {resource for resource, _ in RESOURCES}
    | {"Engine", "Edit", "FineTune", "Customer", "Deployment", "ErrorObject"}
)

# Per-call keywords of v0 that configure the request, not the model call.
CALL_RENAMES: Mapping[str, str] = {"request_timeout": "timeout"}
CALL_MODEL_ALIASES = ("engine", "deployment_id")
CALL_CLIENT_OPTIONS: Mapping[str, str] = {
    "api_key": "api_key",
    "api_base": "base_url",
    "organization": "organization",
}
CALL_UNSUPPORTED = ("api_type", "api_version", "request_id", "user_provided_filename")

# openai.error.X (and the v0 re-exports openai.X) -> the v1 class, checked against openai's
# `_exceptions.py`. InvalidRequestError also covered 404 and 415 in v0 (research §1.4).
ERRORS: Mapping[str, str] = {
    "OpenAIError": "OpenAIError",
    "APIError": "APIError",
    "RateLimitError": "RateLimitError",
    "AuthenticationError": "AuthenticationError",
    "APIConnectionError": "APIConnectionError",
    "InvalidRequestError": "BadRequestError",
    "PermissionError": "PermissionDeniedError",
    "TryAgain": "ConflictError",
    "ServiceUnavailableError": "InternalServerError",
    "Timeout": "APITimeoutError",
}
REMOVED_ERRORS: Mapping[str, str] = {
    "SignatureVerificationError": "openai.error.SignatureVerificationError has no v1 equivalent (webhook signatures: client.webhooks.verify_signature)",
    "InvalidAPIType": "openai.error.InvalidAPIType has no v1 equivalent: AzureOpenAI/OpenAI are separate classes",
}
# Error names v0 re-exported from the package root (`openai.InvalidRequestError`).
ROOT_ERRORS = frozenset({"APIError", "InvalidRequestError", "OpenAIError"})

# Module settings that become constructor arguments: v0 name -> v1 keyword.
CLIENT_SETTINGS: Mapping[str, str] = {
    "api_key": "api_key",
    "organization": "organization",
    "api_base": "base_url",
}
AZURE_SETTINGS: Mapping[str, str] = {
    "api_key": "api_key",
    "organization": "organization",
    "api_base": "azure_endpoint",
    "api_version": "api_version",
}
AZURE_TYPES = frozenset({"azure", "azure_ad"})
PROXY_TODO = (
    "openai.proxy was removed: pass http_client=httpx.Client(proxy=...) to the client "
    "(openai.DefaultHttpxClient(proxy=...) keeps the SDK defaults)"
)
REMOVED_SETTINGS = frozenset(
    {
        "api_key_path",
        "app_info",
        "debug",
        "log",
        "verify_ssl_certs",
        "enable_telemetry",
        "ca_bundle_path",
        "requestssession",
        "aiosession",
    }
)
ALL_SETTINGS = frozenset(
    set(CLIENT_SETTINGS) | {"api_type", "api_version", "proxy"} | REMOVED_SETTINGS
)

# Replacements named in the TODO for the helper modules v1 dropped.
EMBEDDINGS_UTILS: Mapping[str, str] = {
    "get_embedding": "client.embeddings.create(input=[text], model=...).data[0].embedding",
    "aget_embedding": "await async_client.embeddings.create(input=[text], model=...)",
    "get_embeddings": "[d.embedding for d in client.embeddings.create(input=texts, model=...).data]",
    "aget_embeddings": "await async_client.embeddings.create(input=texts, model=...)",
    "cosine_similarity": "numpy: np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b))",
    "distances_from_embeddings": "scipy.spatial.distance.cdist",
}
UTIL: Mapping[str, str] = {
    "convert_to_dict": "response.model_dump()",
    "convert_to_openai_object": "nothing: v1 responses are already pydantic models",
}

# v0 modules with no v1 counterpart (beyond embeddings_utils and util above).
REMOVED_MODULES: Mapping[str, str] = {
    "embeddings_utils": "see the TODOs at its uses",
    "util": "see the TODOs at its uses",
    "api_resources": "the resources live on the client (client.chat.completions, ...)",
    "openai_object": "responses are pydantic models (openai.BaseModel; types in openai.types)",
    "api_requestor": "requests go through the client (OpenAI/AsyncOpenAI)",
    "datalib": "no v1 equivalent",
}

# Response fields that are plain dicts in v1: subscripts below them stay subscripts.
DICT_FIELDS = frozenset({"top_logprobs", "logit_bias", "metadata"})
# Response fields holding strings, numbers or lists of them: what is read from them is no model.
LEAF_FIELDS = frozenset(
    {
        "arguments",
        "b64_json",
        "bytes",
        "completion_tokens",
        "content",
        "created",
        "created_at",
        "embedding",
        "filename",
        "finish_reason",
        "flagged",
        "id",
        "index",
        "model",
        "name",
        "object",
        "prompt_tokens",
        "purpose",
        "revised_prompt",
        "role",
        "status",
        "system_fingerprint",
        "text",
        "text_offset",
        "token_logprobs",
        "tokens",
        "total_tokens",
        "url",
    }
)
# Per-call keywords whose presence shows the code talks to Azure (0.x named the deployment so).
AZURE_KEYWORDS = frozenset({"engine", "deployment_id", "api_version"})
