"""Single-channel speech enhancers: the DISPatch teacher and the compact GTCRN-class student.

Importing `models.enhancers.student` and `models.enhancers.teacher` registers their
architectures with the checkpoint loader.
"""
