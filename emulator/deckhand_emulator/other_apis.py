"""Patches to moto 5.2.5's non-ECS read APIs that deckhand's preflight checks and task
log reading call (ECR DescribeImages, IAM GetRole, SSM GetParameters, Secrets Manager
DescribeSecret, CloudWatch Logs DescribeLogGroups / GetLogEvents), where moto's answer
differs from AWS's in a way a client can see:

- IAM GetRole of a missing role: NoSuchEntity (404) with AWS's message
  `The role with name NAME cannot be found.` (moto: `Role NAME not found`).
- Secrets Manager ResourceNotFoundException / InvalidRequestException: HTTP 400, as
  AWS answers (awsJson1_1, no httpError trait); moto answers 404.
- CloudWatch Logs GetLogEvents on a missing stream of an existing group:
  `The specified log stream does not exist.` (moto says the log group does not exist).
- CloudWatch Logs DescribeLogGroups: each group has `logGroupClass` STANDARD, AWS's
  default (moto omits it).

The rest of these APIs is moto's as is (checked by the self-test): ECR DescribeImages by
tag or digest (ImageNotFoundException for a missing one), SSM GetParameters (at most 10
names, names or ARNs, missing ones in InvalidParameters), DescribeSecret by name or ARN
(also without the random suffix), DescribeLogGroups' prefix filter, GetLogEvents'
startFromHead and forward token (the same token again once the end is reached).
"""

from __future__ import annotations

from typing import Any

from moto.iam import models as iam_models
from moto.iam.exceptions import NotFoundException
from moto.logs import models as logs_models
from moto.logs.exceptions import ResourceNotFoundException as LogsResourceNotFound
from moto.secretsmanager import exceptions as sm_exceptions

from .util import patch

_applied = False


def _get_role(self: iam_models.IAMBackend, role_name: str) -> iam_models.Role:
    """GetRole; a missing role is NoSuchEntity with AWS's message."""
    for role in self.get_roles():
        if role.name == role_name:
            return role
    raise NotFoundException(f"The role with name {role_name} cannot be found.")


def _status_400(cls: type[sm_exceptions.SecretsManagerClientError]) -> None:
    """Make a Secrets Manager exception class answer HTTP 400 (moto sets 404)."""
    orig_init = cls.__init__

    def __init__(self: sm_exceptions.SecretsManagerClientError, *args: Any, **kwargs: Any) -> None:
        orig_init(self, *args, **kwargs)
        self.code = 400

    patch(cls, "__init__", __init__)


_orig_group_get_log_events = logs_models.LogGroup.get_log_events
_orig_group_describe = logs_models.LogGroup.to_describe_dict


def _group_get_log_events(self: logs_models.LogGroup, log_stream_name: str, *args: Any, **kwargs: Any) -> Any:
    """GetLogEvents: a missing stream is reported as a missing stream."""
    if log_stream_name not in self.streams:
        raise LogsResourceNotFound("The specified log stream does not exist.")
    return _orig_group_get_log_events(self, log_stream_name, *args, **kwargs)


def _group_describe(self: logs_models.LogGroup) -> dict[str, Any]:
    """DescribeLogGroups entry with AWS's default logGroupClass."""
    out = _orig_group_describe(self)
    out.setdefault("logGroupClass", "STANDARD")
    return out


def apply() -> None:
    """Install the patches (idempotent)."""
    global _applied
    if _applied:
        return
    patch(iam_models.IAMBackend, "get_role", _get_role)
    for cls in (
        sm_exceptions.ResourceNotFoundException,
        sm_exceptions.SecretNotFoundException,
        sm_exceptions.SecretHasNoValueException,
        sm_exceptions.SecretStageVersionMismatchException,
    ):
        _status_400(cls)
    patch(logs_models.LogGroup, "get_log_events", _group_get_log_events)
    patch(logs_models.LogGroup, "to_describe_dict", _group_describe)
    _applied = True
