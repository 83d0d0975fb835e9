"""Sleep report in the app (tables + the hypnogram), saved as one self-contained HTML."""

from __future__ import annotations

import re

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFileDialog, QTextBrowser, QVBoxLayout

from engine.api import UserError, report_html, write_report_html
from gui.scoring.hypnogram import HypnogramPanel


class ReportDialog(QDialog):
    def __init__(self, report, doc, study, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Sleep report")
        self.resize(900, 760)
        self.report, self.doc, self.study = report, doc, study
        self.html = report_html(report, doc, study_name=study.path.split("/")[-1])
        lay = QVBoxLayout(self)
        self.hypnogram = HypnogramPanel(self)
        self.hypnogram.set_duration(study.duration_s, study.start_datetime)
        self.hypnogram.set_stages(doc.stages())
        self.hypnogram.window.setVisible(False)
        self.hypnogram.cursor.setVisible(False)
        lay.addWidget(self.hypnogram)
        self.text = QTextBrowser(self)
        # Qt's rich text has no SVG: the hypnogram above stands in for the inline picture
        self.text.setHtml(re.sub(r"<svg.*?</svg>", "", self.html, flags=re.S))
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
            write_report_html(path, self.doc, self.report, study_name=self.study.path.split("/")[-1])
            return True
        except (UserError, OSError) as exc:
            self.last_error = str(exc)
            from PySide6.QtWidgets import QMessageBox

            QMessageBox.warning(self, "Sleep report", f"Could not save the report: {exc}")
            return False
