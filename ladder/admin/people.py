"""People: the directory, creating and editing, deactivation, one-time passwords, CSV import."""
from __future__ import annotations

import hashlib
import hmac

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import clock
from ..domain.people_import import plan_import, read_csv
from ..extensions import db
from ..forms import ConfirmForm
from ..models import User
from ..params import page_arg, page_count
from ..security import accepts_files
from ..services import mail, people_admin, sign_in_links
from ..services.ladders import ladder_of, published_by_key
from ..services.people_admin import DirectoryFilter, PersonData, PersonError
from ..unit_of_work import unit_of_work
from .forms import ImportApplyForm, ImportUploadForm, OneTimePasswordForm, PersonForm
from .views import bp, ladder_or_abort, user_or_404


@bp.route("/people")
def people():
    loaded = ladder_or_abort()
    args = request.args
    filters = DirectoryFilter(q=args.get("q", "")[:200], level=args.get("level", "")[:64],
                              track=args.get("track", "")[:64],
                              status=args.get("status") if args.get("status") in ("active", "inactive", "all")
                              else "active",
                              admins_only=args.get("admins") == "1")
    page = page_arg()
    rows, total = people_admin.directory(filters, page)
    pages = page_count(total, people_admin.PAGE_SIZE)
    return render_template("admin/people.html", rows=rows, total=total, page=page, pages=pages,
                           filters=filters, rubric=loaded.rubric, form=ConfirmForm(),
                           mail_configured=mail.mail_configured(),
                           awaiting_invitation=people_admin.count_of(sign_in_links.awaiting_invitation_query(clock.now())))


def _data(form: PersonForm) -> PersonData:
    return PersonData(email=form.email.data.strip().lower(), name=form.name.data.strip(),
                      ladder_key=form.ladder_key.data,
                      level_key=form.level_key.data, track_key=form.track_key.data,
                      manager_email=(form.manager_email.data or "").strip().lower(),
                      title=(form.title.data or "").strip(), is_admin=bool(form.is_admin.data),
                      on_ladder=bool(form.on_ladder.data))


def _person_form_ladders(form: PersonForm) -> dict:
    """The published ladders' rubrics by key, offered in the person form."""
    ladders = {key: loaded.rubric for key, loaded in sorted(published_by_key().items())}
    form.set_ladders(list(ladders.values()))
    return ladders


@bp.route("/people/new", methods=["GET", "POST"])
def new_person():
    loaded = ladder_or_abort()
    form = PersonForm(data={"ladder_key": loaded.rubric.key})  # the default ladder unless another is chosen
    ladders = _person_form_ladders(form)
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                with unit_of_work():
                    person = people_admin.create_person(_data(form), ladders[form.ladder_key.data])
            except PersonError as error:
                form[error.field].errors.append(error.message)
            else:
                flash(f"Added {person.name}. Invite them by email or set a one-time password so they can sign in.",
                      "success")
                return redirect(url_for("admin.edit_person", user_id=person.id))
        status = 422
    return render_template("admin/person_form.html", form=form, person=None), status


@bp.route("/people/<int:user_id>", methods=["GET", "POST"])
def edit_person(user_id: int):
    ladder_or_abort()
    person = user_or_404(user_id)
    manager = db.session.get(User, person.manager_id) if person.manager_id else None
    own = ladder_of(person)
    ladder_key = {"ladder_key": own.rubric.key if own else ""}  # kept unless another is chosen
    form = PersonForm(obj=None if request.method == "POST" else person,
                      data=ladder_key if request.method == "POST"
                      else {"manager_email": manager.email if manager else "", **ladder_key})
    ladders = _person_form_ladders(form)
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                with unit_of_work():
                    people_admin.update_person(person, _data(form), ladders[form.ladder_key.data], actor=current_user)
            except PersonError as error:
                person = user_or_404(user_id)
                form[error.field].errors.append(error.message)
            else:
                flash(f"Saved {person.name}.", "success")
                return redirect(url_for("admin.edit_person", user_id=person.id))
        status = 422
    reports = people_admin.active_report_names(person)
    return render_template("admin/person_form.html", form=form, person=person, reports=reports,
                           action_form=ConfirmForm(), mail_configured=mail.mail_configured()), status


@bp.route("/people/<int:user_id>/active", methods=["POST"])
def set_active(user_id: int):
    person = user_or_404(user_id)
    form = ConfirmForm()
    if not form.validate():
        flash("Your form expired; try again.", "error")
        return redirect(url_for("admin.edit_person", user_id=person.id))
    activate = request.form.get("active") == "1"
    try:
        with unit_of_work():
            people_admin.set_active(person, activate, actor=current_user)
    except PersonError as error:
        flash(error.message, "error")
    else:
        outcome = ("active again and can sign in" if activate
                   else "deactivated: their history is kept and they can no longer sign in")
        flash(f"{person.name} is {outcome}.", "success")
    return redirect(url_for("admin.edit_person", user_id=person.id))


@bp.route("/people/<int:user_id>/password", methods=["POST"])
def one_time_password(user_id: int):
    """Shown once, in this response only (never in a flash message or a URL)."""
    person = user_or_404(user_id)
    form = OneTimePasswordForm()
    if not form.validate():
        flash("Your form expired; try again.", "error")
        return redirect(url_for("admin.edit_person", user_id=person.id))
    password = people_admin.set_one_time_password(person)
    db.session.commit()
    return render_template("admin/one_time_password.html", person=person, password=password)


# --- CSV import -------------------------------------------------------------------------------

def _digest(text: str) -> str:
    """A keyed hash of the uploaded text, so the apply step imports exactly what was shown."""
    return hmac.new(current_app.config["SECRET_KEY"].encode(), text.encode("utf-8"), hashlib.sha256).hexdigest()


def _plan_digest(plan) -> str:
    summary = "\n".join(f"{r.line}:{r.email}:{r.action}:{sorted(r.changes.items())}" for r in plan.rows)
    return hashlib.sha256(summary.encode()).hexdigest()


def _plan(text: str, rubric):
    rows, file_errors = read_csv(text)
    plan = plan_import(rows, people_admin.existing_people(), {k: v.rubric for k, v in published_by_key().items()},
                       rubric.key)
    plan.file_errors.extend(file_errors)
    return plan


@bp.route("/people/import", methods=["GET", "POST"])
@accepts_files("file")
def import_people():
    """Upload a CSV and see a dry run: what would change, and every row's errors."""
    loaded = ladder_or_abort()
    form = ImportUploadForm()
    if request.method == "GET" or not form.validate():
        return render_template("admin/import.html", form=form, plan=None, rubric=loaded.rubric), \
            200 if request.method == "GET" else 422
    raw = form.file.data.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        form.file.errors.append("The file is not UTF-8 text. Save it as \"CSV UTF-8\" and upload it again.")
        return render_template("admin/import.html", form=form, plan=None, rubric=loaded.rubric), 422
    text = text.replace("\r\n", "\n")
    plan = _plan(text, loaded.rubric)
    apply_form = ImportApplyForm(formdata=None, data={"content": text, "digest": _digest(text),
                                                      "plan_digest": _plan_digest(plan)})
    return render_template("admin/import.html", form=form, plan=plan, apply_form=apply_form,
                           rubric=loaded.rubric, filename=form.file.data.filename), 200 if plan.ok else 422


@bp.route("/people/import/apply", methods=["POST"])
def apply_import():
    """Apply the file shown in the dry run, all or nothing; if anything changed since, show it again."""
    loaded = ladder_or_abort()
    form = ImportApplyForm()
    if not form.validate():
        flash("The import form was incomplete; upload the file again.", "error")
        return redirect(url_for("admin.import_people"))
    text = form.content.data.replace("\r\n", "\n")
    if not hmac.compare_digest(_digest(text), form.digest.data):
        flash("The file content did not match the dry run; upload the file again.", "error")
        return redirect(url_for("admin.import_people"))
    plan = _plan(text, loaded.rubric)
    if not plan.ok or _plan_digest(plan) != form.plan_digest.data:
        flash("People changed since the dry run (or the file has errors): nothing was imported. "
              "Here is the dry run again.", "error")
        form.plan_digest.data = _plan_digest(plan)
        return render_template("admin/import.html", form=ImportUploadForm(formdata=None), plan=plan,
                               apply_form=form, rubric=loaded.rubric, filename=None), 409
    counts = people_admin.apply_import(plan)
    db.session.commit()
    flash(f"Imported: {counts['create']} added, {counts['update']} updated, {counts['unchanged']} unchanged. "
          + ("Invite the new people below with one click." if mail.mail_configured()
             else "New people need a one-time password before they can sign in (email is not set up)."), "success")
    return redirect(url_for("admin.people", status="all"))
