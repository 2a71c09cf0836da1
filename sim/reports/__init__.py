"""Everything written for people.

Charts, the board-paper table, the HTML report, the files of each question's result and
the YAML reference. Reports read plain result types; they never call the questions.
"""
