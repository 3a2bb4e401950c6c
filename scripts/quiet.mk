# SPDX-License-Identifier: GPL-2.0
#
# Kbuild-style quiet output for our Makefiles: "$(call msg,TAG,WHAT)"
# prints "  TAG        WHAT"; V=1 prints the commands instead.
ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-10s %s\n' '$(1)' '$(2)';
MAKEFLAGS += --no-print-directory
endif
