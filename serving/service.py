"""What the local server's REST and gRPC fronts share: finding a signature and running it."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from serving import errors
from serving.registry import ModelRegistry, Servable
from serving.signatures import DEFAULT_SIGNATURE, Signature, check_inputs

Runner = Callable[[Servable, str, dict[str, np.ndarray]], dict[str, np.ndarray]]


def _run(servable: Servable, signature_name: str,
         inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return servable.run(signature_name, inputs)


def find_signature(servable: Servable, signature_name: str, rest: bool) -> Signature:
    """The named signature ("" = serving_default) of a loaded version.

    Raises:
      InvalidArgumentError: no such signature, worded as TF Serving's REST or gRPC API does.
    """
    name = signature_name or DEFAULT_SIGNATURE
    signature = servable.signatures.get(name)
    if signature is None:
        if rest:
            raise errors.InvalidArgumentError(
                f'Serving signature name: "{name}" not found in signature def')
        raise errors.InvalidArgumentError(f'Serving signature key "{name}" not found.',
                                          code="FAILED_PRECONDITION")
    return signature


def run_predict(
    servable: Servable,
    signature_name: str,
    inputs: dict[str, np.ndarray],
    output_filter: Sequence[str] = (),
    rest: bool = False,
    runner: Runner | None = None,
) -> dict[str, np.ndarray]:
    """Validates the inputs against the signature, runs it and keeps the filtered outputs.

    `runner` (e.g. a batching.Batcher's `run`) calls the model; default: `servable.run`.

    Raises:
      InvalidArgumentError: wrong input names, dtypes or shapes, or an unknown output alias.
    """
    name = signature_name or DEFAULT_SIGNATURE
    signature = find_signature(servable, name, rest)
    check_inputs(signature, inputs)
    wanted = list(output_filter)
    for alias in wanted:
        if alias not in signature.outputs:
            raise errors.InvalidArgumentError(
                f"output tensor alias not found in signature: {alias} Outputs expected to be in "
                f"the set {{{','.join(sorted(signature.outputs))}}}.")
    if len(set(wanted)) != len(wanted):
        duplicate = next(alias for alias in wanted if wanted.count(alias) > 1)
        raise errors.InvalidArgumentError(f"duplicate output tensor alias: {duplicate}")
    outputs = (runner or _run)(servable, name, inputs)
    return {alias: np.asarray(outputs[alias]) for alias in (wanted or outputs)}


def model_metadata(registry: ModelRegistry, name: str, version: int | None,
                   label: str | None) -> tuple[int, dict[str, Signature]]:
    """(version, SignatureDefs) of the requested version, for GetModelMetadata."""
    version, servable = registry.resolve(name, version, label)
    return version, servable.signatures
