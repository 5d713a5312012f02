"""Saving a likelihood: its parameters and fitted state as JSON-able data
(a base of :class:`~skpoe.likelihoods.Likelihood`)."""

from __future__ import annotations

import numpy as np

__all__: list[str] = []


class _State:
    """Saving and restoring; documented as members of ``Likelihood``."""

    name: str

    def get_state(self):
        """Parameters and fitted state as JSON-able data (see :meth:`set_state`).

        Returns
        -------
        state : dict
            ``{"name": ..., "attributes": {...}}``; numpy arrays become
            ``{"ndarray": dtype, "shape": [...], "data": [...]}``.

        See Also
        --------
        likelihood_from_state : Rebuilds a likelihood from the state.
        Likelihood.set_state : Restores the attributes.

        Examples
        --------
        >>> import numpy as np
        >>> from skpoe.likelihoods import Gaussian
        >>> state = Gaussian().fit(np.array([[0.0], [2.0]]), "v").get_state()
        >>> state["name"], state["attributes"]["center_"]
        ('gaussian', {'ndarray': '<f8', 'shape': [1], 'data': [1.0]})
        """
        attributes = {}
        for key, value in vars(self).items():
            if isinstance(value, np.ndarray):
                value = {
                    "ndarray": value.dtype.str,
                    "shape": list(value.shape),
                    "data": value.ravel().tolist(),
                }
            elif isinstance(value, np.generic):
                value = value.item()
            attributes[key] = value
        return {"name": self.name, "attributes": attributes}

    def set_state(self, attributes):
        """Restore the ``"attributes"`` of :meth:`get_state`.

        Parameters
        ----------
        attributes : dict
            The ``"attributes"`` entry of a :meth:`get_state` output.

        Returns
        -------
        self : Likelihood
            With the attributes set.

        Raises
        ------
        ValueError
            If a key names a method or property of the class.

        See Also
        --------
        Likelihood.get_state : The state this restores.
        likelihood_from_state : Builds the likelihood and restores it.

        Examples
        --------
        >>> import numpy as np
        >>> from skpoe.likelihoods import Gaussian
        >>> state = Gaussian().fit(np.array([[0.0], [2.0]])).get_state()
        >>> Gaussian().set_state(state["attributes"]).scale_.tolist()
        [1.0]
        """
        for key, value in attributes.items():
            member = getattr(type(self), key, None)
            if callable(member) or isinstance(member, property):
                raise ValueError(f"{key!r} is not a data attribute of {type(self).__name__}.")
            if isinstance(value, dict) and "ndarray" in value:
                data = np.asarray(value["data"], dtype=np.dtype(value["ndarray"]))
                value = data.reshape(value["shape"])
            setattr(self, key, value)
        return self
