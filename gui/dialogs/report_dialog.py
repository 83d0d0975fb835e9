"""Sleep report in the app (tables + the hypnogram), saved as one self-contained HTML.

Qt's rich text cannot draw inline SVG, so the report's hypnogram picture is rendered to
an image and handed to the text browser as a resource: the in-app report shows the same
hypnogram under its heading as the saved file (no empty "Hypnogram" heading)."""

from __future__ import annotations

import re

from PySide6.QtCore import QByteArray, QUrl
from PySide6.QtGui import QColor, QImage, QPainter, QTextDocument
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFileDialog, QTextBrowser, QVBoxLayout

import engine.api as eng
from engine.api import UserError


def svg_image(svg: str) -> QImage | None:
    """The SVG drawn on a white image of its own size (None when Qt cannot read it)."""
    r = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    if not r.isValid():
        return None
    size = r.defaultSize()
    if size.isEmpty():
        return None
    img = QImage(size, QImage.Format.Format_ARGB32)
    img.fill(QColor("white"))
    p = QPainter(img)
    r.render(p)
    p.end()
    return img


class ReportDialog(QDialog):
    HYPNOGRAM_URL = QUrl("pedsleep:hypnogram.png")

    def __init__(self, report, doc, study, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Sleep report")
        self.resize(900, 760)
        self.report, self.doc, self.study = report, doc, study
        self.html = eng.report_html(report, doc, study_name=study.path.split("/")[-1])
        lay = QVBoxLayout(self)
        self.text = QTextBrowser(self)
        m = re.search(r"<svg.*?</svg>", self.html, flags=re.S)
        img = svg_image(m.group(0)) if m else None
        shown = self.html
        if m is not None:
            if img is not None:
                self.text.document().addResource(QTextDocument.ResourceType.ImageResource, self.HYPNOGRAM_URL, img)
                pic = f'<img src="{self.HYPNOGRAM_URL.toString()}" width="{img.width()}">'
            else:  # never an empty heading: say what is missing
                pic = "<p><i>(the hypnogram picture is in the saved report)</i></p>"
            shown = self.html[:m.start()] + pic + self.html[m.end():]
        self.text.setHtml(shown)
        lay.addWidget(self.text, 1)
        bb = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close)
        bb.accepted.connect(self.save_dialog)
        bb.rejected.connect(self.reject)
        lay.addWidget(bb)
        self.last_error: str | None = None

    def save_dialog(self) -> None:
        default = self.study.path.rsplit(".", 1)[0] + ".report.html"
        path, _ = QFileDialog.getSaveFileName(self, "Save sleep report", default, "HTML (*.html)")
        if path:
            self.save(path)

    def save(self, path: str) -> bool:
        try:
            eng.write_report_html(path, self.doc, self.report, study_name=self.study.path.split("/")[-1])
            return True
        except (UserError, OSError) as exc:
            self.last_error = str(exc)
            from PySide6.QtWidgets import QMessageBox

            QMessageBox.warning(self, "Sleep report", f"Could not save the report: {exc}")
            return False
