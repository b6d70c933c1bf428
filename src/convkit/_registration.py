"""Keras's registry of custom objects: the names a saved model uses for a user's classes and functions.

    @convkit.saving.register_keras_serializable(package="my_package")
    class Scale(convkit.layers.Layer): ...       # saved and found as "my_package>Scale"

    with convkit.saving.custom_object_scope({"Scale": Scale}):
        model = convkit.saving.load_model("model.keras")

Loading looks a class up as Keras does (see `lookup_table`): the objects passed as `custom_objects`,
those of the innermost `custom_object_scope` and the registered ones, by the entry's
`registered_name` ("package>Name"), or its class name when the entry has none. Saving writes a
registered class under its registered name, so Keras finds it through its own registration of the
same name.
"""
import inspect
import threading

__all__ = ["CustomObjectScope", "custom_object_scope", "get_custom_objects", "register_keras_serializable",
           "get_registered_name", "get_registered_object"]

# "package>Name" -> object, and object -> "package>Name": what register_keras_serializable adds
_GLOBAL_CUSTOM_OBJECTS = {}
_GLOBAL_CUSTOM_NAMES = {}


class _ScopeState(threading.local):
    """The objects of the innermost custom_object_scope, per thread (as Keras keeps them)."""

    def __init__(self):
        self.objects = {}


_scope = _ScopeState()


def _reset_scopes():
    """Forget the objects of every open scope (Keras's clear_session does it); an open scope
    still puts back what it found when it exits."""
    global _scope
    _scope = _ScopeState()


class CustomObjectScope:
    """Within `with CustomObjectScope({"Name": obj, ...}):`, loading finds these objects by name.

    As in Keras, a scope replaces the objects of any enclosing scope until it exits (the
    registered objects stay visible), and it belongs to the thread that entered it."""

    def __init__(self, custom_objects):
        if custom_objects is not None and not isinstance(custom_objects, dict):
            raise TypeError(f"`custom_objects` must be a dict of {{name: object}}. Received: "
                            f"custom_objects={custom_objects!r} (of type {type(custom_objects).__name__})")
        self.custom_objects = custom_objects or {}
        self.backup = None

    def __enter__(self):
        self.backup = dict(_scope.objects)
        _scope.objects = dict(self.custom_objects)
        return self

    def __exit__(self, *exc_info):
        _scope.objects = dict(self.backup)


custom_object_scope = CustomObjectScope


def get_custom_objects():
    """The live dict of registered objects ("package>Name" -> object). Adding to it registers an
    object under that key; objects of a custom_object_scope are not in it."""
    return _GLOBAL_CUSTOM_OBJECTS


def register_keras_serializable(package="Custom", name=None):
    """A decorator registering a class or function as "package>name" (name: its `__name__` by
    default), so that models holding it save and load without `custom_objects`. A class must
    define `get_config`."""
    if not isinstance(package, str):
        hint = (" It is a decorator factory: write `@register_keras_serializable()` (with parentheses) or "
                "`@register_keras_serializable(package='my_package')`." if callable(package) else "")
        raise TypeError(f"`package` must be a string. Received: package={package!r}.{hint}")
    if name is not None and not isinstance(name, str):
        raise TypeError(f"`name` must be a string or None. Received: name={name!r}")

    def decorator(arg):
        registered_name = f"{package}>{arg.__name__ if name is None else name}"
        if inspect.isclass(arg) and not hasattr(arg, "get_config"):
            raise ValueError("Cannot register a class that does not have a get_config() method.")
        _GLOBAL_CUSTOM_OBJECTS[registered_name] = arg
        _GLOBAL_CUSTOM_NAMES[arg] = registered_name
        return arg

    return decorator


def get_registered_name(obj):
    """The name `obj` is registered under, or its `__name__` when it is not registered."""
    if obj in _GLOBAL_CUSTOM_NAMES:
        return _GLOBAL_CUSTOM_NAMES[obj]
    return obj.__name__


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The object called `name`: from the innermost custom_object_scope, else the registered
    objects, else `custom_objects`, else `module_objects`; None when none has it."""
    if name in _scope.objects:
        return _scope.objects[name]
    if name in _GLOBAL_CUSTOM_OBJECTS:
        return _GLOBAL_CUSTOM_OBJECTS[name]
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None


def lookup_table(custom_objects=None):
    """Every object loading can find by name, merged in Keras's precedence: the `custom_objects`
    passed to the loading function, overridden by the innermost scope's, overridden by the
    registered ones."""
    if not _scope.objects and not _GLOBAL_CUSTOM_OBJECTS:
        return custom_objects or {}
    return {**(custom_objects or {}), **_scope.objects, **_GLOBAL_CUSTOM_OBJECTS}
