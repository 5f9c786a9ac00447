"""Plugin families shipped with kestra-stream as separate packages.

Each family (``git``, ``notifications``, ``scripts``, ...) registers itself through the
``kestra_stream.plugins`` entry point group, exactly as a third-party plugin package would.
"""
