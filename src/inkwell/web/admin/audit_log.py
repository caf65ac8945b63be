"""The audit log in the dashboard, filtered by action, actor and target."""

from __future__ import annotations

from flask import render_template, request

from inkwell.services import audit
from inkwell.services.audit import AuditFilter
from inkwell.web.admin import bp, id_argument


@bp.get("/audit")
def audit_log() -> str:
    """The newest entries first; each filter narrows."""
    wanted = AuditFilter(
        action=request.args.get("action") or None,
        actor=request.args.get("actor") or None,
        target_type=request.args.get("target_type") or None,
        target_id=id_argument("target_id"),
    )
    entries = audit.events(wanted, before_id=id_argument("before"))
    next_before = entries[-1].id if len(entries) == audit.PAGE_SIZE else None
    return render_template(
        "admin/audit.html",
        entries=entries,
        wanted=wanted,
        actions=audit.ACTIONS,
        kinds=audit.TARGET_KINDS,
        next_before=next_before,
    )
