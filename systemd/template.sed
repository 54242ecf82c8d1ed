# SPDX-License-Identifier: MIT
# Turns minifltd.socket and minifltd.service into the templates minifltd@.socket and minifltd@.service, one
# port per instance: minifltd@scanner.socket listens on @\scanner and starts minifltd --port \scanner. The
# instance name is the port name without its backslash, in lowercase (the address is the lowercased name).
# One source for both, so that the templates keep every hardening line of the units they come from.
s|minifltd\.socket|minifltd@%i.socket|g
s|\\MiniFilterPort_Example|\\%i|g
s|@\\minifilterport_example|@\\%i|g
# ExecStart= unescapes C-style: the backslash of the port name is written twice there.
s|^ExecStart=\(.*\) --log-target journal$|ExecStart=\1 --log-target journal --port \\\\%i|
s|^# minifltd, socket-activated.*$|# minifltd for the port \\%i, socket-activated: systemctl enable --now minifltd@NAME.socket|
