"""The roster: who is linked to whom (teacher–student links, parent relations, invitations and joins), with
the teacher's, student's and parent's views of those people. It sits at lessons level because archiving a
student removes them from the teacher's future lessons."""
