"""Ladder versions: list, draft from the latest, edit the draft's YAML, upload (YAML or a
spreadsheet), download (YAML or CSV), diff, publish."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ..domain.ladder_diff import word_diff
from ..domain.ladder_lint import lint
from ..domain.ladder_spreadsheet import decode
from ..domain.rubric import RubricError
from ..extensions import db
from ..forms import ConfirmForm
from ..models import Ladder, LadderVersion
from ..params import int_arg
from ..security import accepts_files
from ..services import ladder_admin
from ..services.ladder_admin import LadderError
from ..services.ladders import load_version
from ..unit_of_work import unit_of_work
from .forms import CSV_MAX, LadderSpreadsheetForm, LadderUploadForm, LadderYamlForm
from .views import bp


def version_or_404(key: str, number: int) -> tuple[Ladder, LadderVersion]:
    version = ladder_admin.version_by_number(key, number)
    if version is None:
        abort(404)
    return db.session.get_one(Ladder, version.ladder_id), version


def _ladders_page(**forms):
    """The ladders page; a refused upload passes its form (and problems) to show them."""
    return render_template("admin/ladders.html", ladders=ladder_admin.ladders(),
                           cycles=ladder_admin.cycles_per_version(), form=ConfirmForm(),
                           **{"upload_form": LadderUploadForm(), "sheet_form": LadderSpreadsheetForm(),
                              "problems": None, "sheet_problems": None, **forms})


@bp.route("/ladders")
def ladders():
    return _ladders_page()


@bp.route("/ladders/upload", methods=["POST"])
@accepts_files("file")
def upload_ladder():
    """A YAML file becomes a draft; a bad file is refused with every problem listed."""
    form = LadderUploadForm()
    problems = None
    if form.validate():
        upload = form.file.data
        name = (upload.filename or "ladder.yaml")[:200]
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            form.file.errors.append("The file is not UTF-8 text.")
        else:
            try:
                with unit_of_work():
                    version = ladder_admin.upload_draft(text, name, actor=current_user)
            except RubricError as error:
                problems = [p.format(name) for p in error.problems]
            except LadderError as error:
                form.file.errors.append(str(error))
            else:
                ladder = db.session.get(Ladder, version.ladder_id)
                flash(f"Uploaded as draft version {version.number}. Review the diff, then publish.", "success")
                return redirect(url_for("admin.ladder_diff", key=ladder.key, number=version.number))
    return _ladders_page(upload_form=form, problems=problems), 422


@bp.route("/ladders/upload-spreadsheet", methods=["POST"])
@accepts_files("spreadsheet")
def upload_ladder_spreadsheet():
    """A spreadsheet (CSV) becomes a draft; bad rows are refused with each row and column listed."""
    form = LadderSpreadsheetForm()
    problems = None
    if form.validate():
        upload = form.spreadsheet.data
        source = (upload.filename or "ladder.csv")[:200]
        with upload.stream:  # a large upload is a temporary file: closed at once
            raw = upload.read(CSV_MAX + 1)
        if len(raw) > CSV_MAX:
            form.spreadsheet.errors.append(f"The file is larger than {CSV_MAX / 1_000_000:g} MB; split the ladder.")
        else:
            try:
                with unit_of_work():
                    version = ladder_admin.spreadsheet_draft(
                        decode(raw, source), source, key=form.ladder_key.data.strip(),
                        name=(form.ladder_name.data or "").strip() or None, actor_id=current_user.id)
            except RubricError as error:
                problems = [p.format(source) for p in error.problems]
            except LadderError as error:
                form.ladder_key.errors.append(str(error))
            else:
                flash(f"Imported the spreadsheet as draft version {version.number}. Review the diff, then publish.",
                      "success")
                return redirect(url_for("admin.ladder_diff", key=form.ladder_key.data.strip(), number=version.number))
    return _ladders_page(sheet_form=form, sheet_problems=problems), 422


@bp.route("/ladders/<key>/draft", methods=["POST"])
def create_draft(key: str):
    ladder = db.session.scalar(select(Ladder).where(Ladder.key == key))
    if ladder is None:
        abort(404)
    if not ConfirmForm().validate():
        flash("Your form expired; try again.", "error")
        return redirect(url_for("admin.ladders"))
    try:
        with unit_of_work():
            version = ladder_admin.create_draft(ladder, actor=current_user)
    except LadderError as error:
        flash(str(error), "error")
        return redirect(url_for("admin.ladders"))
    flash(f"Draft version {version.number} created from the published ladder.", "success")
    return redirect(url_for("admin.edit_ladder", key=key, number=version.number))


@bp.route("/ladders/<key>/<int:number>")
def ladder_version(key: str, number: int):
    ladder, version = version_or_404(key, number)
    return render_template("admin/ladder_version.html", ladder=ladder, version=version,
                           yaml_text=ladder_admin.yaml_of(version), form=ConfirmForm())


@bp.route("/ladders/<key>/<int:number>.yaml")
def ladder_yaml(key: str, number: int):
    _, version = version_or_404(key, number)
    return Response(ladder_admin.yaml_of(version), mimetype="application/x-yaml",
                    headers={"Content-Disposition": f'attachment; filename="{key}-v{number}.yaml"'})


@bp.route("/ladders/<key>/<int:number>.csv")
def ladder_spreadsheet(key: str, number: int):
    """The version as spreadsheet rows; with a byte-order mark so Excel reads it as UTF-8."""
    _, version = version_or_404(key, number)
    if version.is_points:
        abort(404)  # no link offers it: a points ladder is kept as YAML
    return Response("\ufeff" + ladder_admin.csv_of(version), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{key}-v{number}.csv"'})


@bp.route("/ladders/<key>/<int:number>/edit", methods=["GET", "POST"])
def edit_ladder(key: str, number: int):
    """Edit a draft as YAML: validated by the same loader as files; the text is kept on errors."""
    ladder, version = version_or_404(key, number)
    if version.is_published:
        flash(f"Version {number} is published and never changes. Create a draft to edit the ladder.", "error")
        return redirect(url_for("admin.ladder_version", key=key, number=number)), 303
    form = LadderYamlForm(data=None if request.method == "POST" else {"yaml_text": ladder_admin.yaml_of(version)})
    problems = None
    if request.method == "POST":
        if form.validate():
            text = form.yaml_text.data.replace("\r\n", "\n")
            try:
                with unit_of_work():
                    rubric = ladder_admin.parse_for(ladder, text, f"draft v{number}")
                    ladder_admin.replace_draft(version, rubric, actor=current_user)
            except RubricError as error:
                problems = error.problems
            else:
                flash(f"Draft version {number} saved.", "success")
                if request.form.get("then") == "diff":
                    return redirect(url_for("admin.ladder_diff", key=key, number=number))
                return redirect(url_for("admin.edit_ladder", key=key, number=number))
        return render_template("admin/ladder_edit.html", ladder=ladder, version=version, form=form,
                               problems=problems), 422
    return render_template("admin/ladder_edit.html", ladder=ladder, version=version, form=form,
                           problems=None)


@bp.route("/ladders/<key>/<int:number>/diff")
def ladder_diff(key: str, number: int):
    ladder, version = version_or_404(key, number)
    against = int_arg("against")
    base, diff = ladder_admin.diff_against_published(version, against)
    misfits = [] if version.is_published else ladder_admin.misfits_of(version)
    return render_template("admin/ladder_diff.html", ladder=ladder, version=version, base=base, diff=diff,
                           misfits=misfits, warnings=lint(load_version(version.id).rubric),
                           word_diff=word_diff, form=ConfirmForm(),
                           versions=[v for _, vs in ladder_admin.ladders() if _.id == ladder.id for v in vs])


def _version_action(key: str, number: int, action, success: str, target: str = "admin.ladder_diff"):
    ladder, version = version_or_404(key, number)
    if not ConfirmForm().validate():
        flash("Your form expired; try again.", "error")
        return redirect(url_for("admin.ladder_version", key=key, number=number))
    try:
        with unit_of_work():
            action(version)
    except LadderError as error:
        flash(str(error), "error")
        return redirect(url_for("admin.ladder_diff", key=key, number=number))
    flash(success, "success")
    return redirect(url_for(target, key=key, number=number) if target != "admin.ladders" else url_for(target))


@bp.route("/ladders/<key>/<int:number>/publish", methods=["POST"])
def publish_ladder(key: str, number: int):
    return _version_action(key, number, lambda v: ladder_admin.publish(v, actor=current_user),
                           f"Version {number} is published: new cycles use it; it will never change.",
                           "admin.ladder_version")


@bp.route("/ladders/<key>/<int:number>/delete", methods=["POST"])
def delete_ladder_draft(key: str, number: int):
    return _version_action(key, number, lambda v: ladder_admin.delete_draft(v, actor=current_user),
                           f"Draft version {number} deleted.", "admin.ladders")
