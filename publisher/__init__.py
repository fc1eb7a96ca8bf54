"""Static-site publisher for stakeholder bulletins, work-experience toolkits and a best-practice directory.

The pipeline runs one way: sources -> load -> validate -> site model -> render -> outputs.
"""

__version__ = "0.1.0"
