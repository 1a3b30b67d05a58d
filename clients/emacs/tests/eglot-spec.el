;;; eglot-spec.el --- Cairn in Emacs's own LSP client, eglot  -*- lexical-binding: t; -*-

;;; Commentary:

;; eglot runs one server per buffer: here Cairn is that server (`cairn-eglot-setup').  Code
;; actions are picked with M-x eglot-code-actions; answers arrive as a markdown transcript
;; opened in a window by window/showDocument, plus a window/showMessage line.

;;; Code:

(require 'scenario)
(require 'eglot)

(setenv "CAIRN_EMACS_CLIENT" (concat "eglot " (cairn-test-library-version "eglot")))
(setq eglot-autoshutdown nil eglot-sync-connect nil)

(defun cairn-eglot-spec-connect (buffer)
  "Start Cairn for BUFFER as M-x eglot does; the server once connected."
  (with-current-buffer buffer
    (apply #'eglot (eglot--guess-contact))
    (cairn-wait (lambda () (with-current-buffer buffer (eglot-current-server))) 60 "eglot to connect")))

(defun cairn-eglot-spec-code-action (buffer beg end kind)
  "M-x eglot-code-actions in BUFFER over BEG..END, limited to KIND (one action: no menu)."
  (with-current-buffer buffer
    (eglot-code-actions beg end kind t)))

(defun cairn-eglot-spec-shown (text)
  "A transcript containing TEXT, shown in a window (now, or until a later transcript took
its window)."
  (let ((transcript (cairn-test-transcript-containing text)))
    (and transcript (or (get-buffer-window transcript t) (memq transcript cairn-test-displayed)))))

(defun cairn-eglot-spec-shutdown ()
  "M-x eglot-shutdown from a buffer of each server; their processes."
  (let ((servers (apply #'append (hash-table-values eglot--servers-by-project))))
    (mapcar (lambda (server)
              (let ((process (jsonrpc--process server)))
                (with-current-buffer (car (eglot--managed-buffers server))
                  (cairn-test-watch-deletion process (lambda () (eglot-shutdown server))))
                process))
            servers)))

(cairn-eglot-setup)
(cairn-scenario-setup (list :connect #'cairn-eglot-spec-connect
                            :code-action #'cairn-eglot-spec-code-action
                            :shown #'cairn-eglot-spec-shown
                            ;; C-g: eglot sends no answer at all; Cairn's approvalTimeout says no
                            :dismiss (lambda () (signal 'quit nil))
                            :shutdown #'cairn-eglot-spec-shutdown
                            ;; jsonrpc.el deletes the process 0.1 s after `exit' (reported as
                            ;; "exited with status 9"): by then Cairn must have exited with 0
                            :ended-cleanly (lambda (process)
                                             (equal (process-get process 'cairn-test-ended) '(exit 0)))
                            :request-timeout jsonrpc-default-request-timeout))

(cairn-scenario-define-tests cairn-eglot)

(cairn-deftest cairn-eglot-transcript-says-what-was-asked
    "The transcript of a chat names the request, the steps and the answer."
  (let ((text (cairn-test-buffer-text (cairn-test-transcript-containing "Hello, world."))))
    (should (string-match-p "## Request\n\nSay hello" text))
    (should (string-match-p "## Answer\n\nHello, world." text))))

(cairn-deftest cairn-eglot-dismissal-was-a-quit
    "The approval prompt was dismissed with C-g (a `quit' reached the event loop)."
  (should (> cairn-test-quits 0)))

;;; eglot-spec.el ends here
