"""Roster reads, one module per topic: links (who may see whom), teacher_students, student_teachers,
parent_children."""
