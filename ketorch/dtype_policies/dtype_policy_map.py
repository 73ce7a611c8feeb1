"""DTypePolicyMap: a dtype policy per layer path, with a default for the rest."""

from __future__ import annotations

import re
from collections.abc import MutableMapping

from ..mixed_precision.policy import DTypePolicy


class DTypePolicyMap(DTypePolicy, MutableMapping):
    """Maps layer paths (exact, or full-match regular expressions) to dtype policies.

    A layer given a map as its ``dtype`` looks its own path up; a path matching no
    key gets ``default_policy``.

    Args:
        default_policy: Policy (or name) of paths with no entry; ``None`` means the
            global policy.
        policy_map: Optional dict ``{path_or_regex: policy}``.

    Raises:
        ValueError: If ``default_policy`` is itself a map, a key is set twice, or a
            path matches several keys.
        TypeError: If ``policy_map`` is not a dict.

    Example:
        >>> from ketorch.dtype_policies import DTypePolicyMap
        >>> policies = DTypePolicyMap("float32")
        >>> policies["encoder/dense"] = "int8_from_float32"
        >>> policies["encoder/dense"].name, policies["decoder/dense"].name
        ('int8_from_float32', 'float32')
    """

    def __init__(self, default_policy=None, policy_map: dict | None = None) -> None:
        if isinstance(default_policy, DTypePolicyMap):
            raise ValueError("`default_policy` cannot be a `DTypePolicyMap`.")
        if policy_map is not None and not isinstance(policy_map, dict):
            raise TypeError(
                "If specified, `policy_map` must be a dict. "
                f"Received: policy_map={policy_map} of type {type(policy_map)}"
            )
        from . import get  # import cycle: this module is imported by the one imported here

        self._default_policy_arg = default_policy
        self._default_policy = get(default_policy)
        self._policy_map = {}
        for key, value in (policy_map or {}).items():
            self[key] = value

    @property
    def name(self) -> str:
        return f"map_{self.default_policy.name}"

    @property
    def default_policy(self) -> DTypePolicy:
        """The policy of paths that match no key."""
        return self._default_policy

    @property
    def compute_dtype(self) -> str:
        return self._default_policy.compute_dtype

    @property
    def variable_dtype(self) -> str:
        return self._default_policy.variable_dtype

    @property
    def quantization_mode(self):
        return self._default_policy.quantization_mode

    @property
    def is_mixed(self) -> bool:
        return self._default_policy.is_mixed

    def __getitem__(self, key: str) -> DTypePolicy:
        if key in self._policy_map:
            return self._policy_map[key]
        hits = [pattern for pattern in self._policy_map if re.fullmatch(pattern, key)]
        if len(hits) > 1:
            raise ValueError(
                f"Path '{key}' matches multiple dtype policy specification keys: {hits}. "
                "Make sure each path matches at most one key of the DTypePolicyMap."
            )
        return self._policy_map[hits[0]] if hits else self._default_policy

    def __setitem__(self, key: str, policy) -> None:
        from . import get  # import cycle: this module is imported by the one imported here

        if key in self._policy_map:
            raise ValueError(
                f"{key} already exist in the DTypePolicyMap with value "
                f"{self._policy_map[key]}. Do not use duplicated keys."
            )
        try:
            policy = get(policy)
        except Exception as e:
            raise ValueError(
                "Cannot interpret the assigned value by `keras.dtype_policies.get`. "
                f"Received: {policy} of type {type(policy)}"
            ) from e
        self._policy_map[key] = policy

    def __delitem__(self, key: str):
        return self._policy_map.pop(key)

    def __contains__(self, key) -> bool:
        return key in self._policy_map

    def __len__(self) -> int:
        return len(self._policy_map)

    def __iter__(self):
        return iter(self._policy_map)

    def __eq__(self, other) -> bool:
        return (
            isinstance(other, DTypePolicyMap)
            and other._default_policy == self._default_policy
            and other._policy_map == self._policy_map
        )

    __hash__ = None

    def get_config(self) -> dict:
        """``default_policy`` and the serialized ``policy_map``."""
        from . import serialize  # import cycle: this module is imported by the one imported here

        return {
            "default_policy": self._default_policy_arg,
            "policy_map": {k: serialize(v) for k, v in self._policy_map.items()},
        }

    @classmethod
    def from_config(cls, config: dict, custom_objects=None) -> DTypePolicyMap:
        """Rebuild a map from :meth:`get_config` output."""
        from . import deserialize  # import cycle: this module is imported by the one imported here

        config = dict(config)
        policy_map = config.get("policy_map") or {}
        if isinstance(policy_map, dict) and policy_map.get("class_name") == "__python_dict__":
            policy_map = policy_map["config"]
        config["policy_map"] = {k: deserialize(v) for k, v in policy_map.items()}
        return cls(**config)

    def __repr__(self) -> str:
        mapping = [(k, v.name) for k, v in self._policy_map.items()]
        return (
            f"<DTypePolicyMap at {hex(id(self))} default_policy={self._default_policy.name}, "
            f"mapping={mapping}>"
        )
