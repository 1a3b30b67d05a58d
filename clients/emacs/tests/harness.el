;;; harness.el --- Headless tests of Cairn in a real Emacs: ERT tests run in order, TAP out  -*- lexical-binding: t; -*-

;;; Commentary:

;; emacs --batch -L clients/emacs/tests -l SPEC.el -f cairn-test-run
;; (CAIRN_EMACS_SELECT=REGEXP runs only the tests whose names match)
;;
;; A spec defines its tests with `cairn-deftest' (plain ERT tests, run in the order they are
;; defined, since they share one editor and its language servers), waits with `cairn-wait'
;; (which runs the event loop: process output, timers) and talks to the real `cairn serve'
;; started by eglot or lsp-mode.  The server is `CAIRN_PYTHON -m cairn serve' with the
;; scripted model answering by prompt (tests/e2e/clients/model_script.py).  Results are
;; printed as TAP on stdout; details of failures go to stdout as TAP comments.

;;; Code:

(require 'ert)
(require 'cl-lib)
(require 'json)
(require 'subr-x)

(defvar cairn-test-repo
  (expand-file-name "../../.." (file-name-directory (or load-file-name buffer-file-name)))
  "The Cairn checkout.")

(add-to-list 'load-path (expand-file-name "clients/emacs" cairn-test-repo))

(defvar cairn-test--names nil "The tests, in the order they were defined.")

(defmacro cairn-deftest (name doc &rest body)
  "Define the ERT test NAME (documented by DOC) running BODY, in definition order."
  (declare (indent 2) (doc-string 2))
  `(progn (ert-deftest ,name () ,doc ,@body)
          (setq cairn-test--names (append (delq ',name cairn-test--names) (list ',name)))))

(defvar cairn-test-quits 0
  "How many `quit's reached `cairn-wait' (a user's C-g in a prompt that a timer ran).")

(defun cairn-test-run-idle-timers (idle fired)
  "Run the idle timers due after IDLE seconds without input that are not in FIRED; return
FIRED plus them.  A batch Emacs never becomes idle, but a user waiting for an answer is:
lsp-mode sends buffer changes from an idle timer, eglot too when not sending a request."
  (dolist (timer (copy-sequence timer-idle-list) fired)
    (when (and (memq timer timer-idle-list) (not (memq timer fired))
               (<= (float-time (timer--time timer)) idle))
      (push timer fired)
      (timer-event-handler timer))))

(defun cairn-wait (predicate timeout what)
  "Run the event loop until PREDICATE returns non-nil, at most TIMEOUT seconds, and return it.
Fails the test with WHAT when time runs out.  Meanwhile the user is idle (idle timers run
once each when due) and a `quit' (the user's C-g in a prompt run by a process filter or a
timer) is counted and waiting goes on, as Emacs's command loop would do."
  (let* ((idle-since (float-time))
         (deadline (+ idle-since timeout))
         (fired nil)
         (value nil))
    (while (and (not (setq value (funcall predicate))) (< (float-time) deadline))
      (condition-case nil
          (progn (accept-process-output nil 0.05)
                 (setq fired (cairn-test-run-idle-timers (- (float-time) idle-since) fired)))
        (quit (cl-incf cairn-test-quits))))
    (or value (ert-fail (list (format "timed out after %ss waiting for %s" timeout what))))))

(defun cairn-test-python ()
  "The Python interpreter Cairn is installed in."
  (or (getenv "CAIRN_PYTHON") "python3"))

(defun cairn-test-directory (files &optional parent)
  "A new directory under PARENT (or the temporary directory) holding FILES, an alist
of (RELATIVE-NAME . TEXT); its true name."
  (let ((root (file-truename (make-temp-file (expand-file-name "cairn-" (or parent temporary-file-directory)) t))))
    (dolist (file files)
      (let ((path (expand-file-name (car file) root)))
        (make-directory (file-name-directory path) t)
        (with-temp-file path (insert (cdr file)))))
    root))

(defun cairn-test-use-scripted-model (turns)
  "Make servers started from now on answer with the scripted model, by prompt keyword.
TURNS is an alist (KEYWORD . LIST-OF-TURNS); a turn is a string or an alist."
  (let ((file (make-temp-file "cairn-turns-" nil ".json"))
        (record (make-temp-file "cairn-requests-" nil ".jsonl")))
    (with-temp-file file (insert (json-encode turns)))
    (setenv "CAIRN_MODEL" "scripted/emacs")
    (setenv "CAIRN_SCRIPT" "tests.e2e.clients.model_script:by_prompt")
    (setenv "CAIRN_CLIENT_TURNS" file)
    (setenv "CAIRN_SCRIPT_RECORD" record)
    (setenv "PYTHONPATH" cairn-test-repo)
    record))

(defun cairn-test-requests (record)
  "The model requests written to RECORD so far, as a list of alists."
  (with-temp-buffer
    (insert-file-contents record)
    (mapcar (lambda (line) (json-parse-string line :object-type 'alist :array-type 'list))
            (split-string (buffer-string) "\n" t))))

(defun cairn-test-tool-results (record)
  "The text of every tool result the model was sent, in RECORD's requests."
  (let (results)
    (dolist (request (cairn-test-requests record))
      (dolist (message (alist-get 'messages request))
        (when (equal (alist-get 'role message) "tool")
          (push (format "%s" (alist-get 'content message)) results))))
    (nreverse results)))

(defun cairn-test-messages ()
  "Everything shown in the echo area so far (the *Messages* buffer)."
  (with-current-buffer (messages-buffer) (buffer-substring-no-properties (point-min) (point-max))))

(defun cairn-test-message-matching (regexp)
  "The first message shown that matches REGEXP, or nil."
  (let ((messages (cairn-test-messages)))
    (when (string-match regexp messages) (match-string 0 messages))))

(defun cairn-test-transcripts ()
  "The buffers visiting a Cairn transcript (a file under the data dir's transcripts/)."
  (seq-filter (lambda (buffer)
                (let ((file (buffer-file-name buffer)))
                  (and file (string-match-p "/cairn/transcripts/.*\\.md\\'" file))))
              (buffer-list)))

(defun cairn-test-transcript-containing (text)
  "The transcript buffer whose text contains TEXT, or nil."
  (seq-find (lambda (buffer)
              (with-current-buffer buffer
                (save-excursion (goto-char (point-min)) (search-forward text nil t))))
            (cairn-test-transcripts)))

(defvar cairn-test-displayed nil
  "Every buffer `display-buffer' showed in a window (a later one may take its window).")

(advice-add 'display-buffer :filter-return
            (lambda (window)
              (when (windowp window) (cl-pushnew (window-buffer window) cairn-test-displayed))
              window)
            '((name . cairn-test-displayed)))

(defun cairn-test-buffer-text (&optional buffer)
  "The whole text of BUFFER (default: the current buffer)."
  (with-current-buffer (or buffer (current-buffer))
    (buffer-substring-no-properties (point-min) (point-max))))

(defun cairn-test-point-at (text &optional buffer)
  "The position just before the first occurrence of TEXT in BUFFER."
  (with-current-buffer (or buffer (current-buffer))
    (save-excursion
      (goto-char (point-min))
      (or (search-forward text nil t) (ert-fail (list "not in the buffer" text)))
      (match-beginning 0))))

(defun cairn-test-with-answer (function answer thunk)
  "Call THUNK with FUNCTION (a prompt such as `completing-read') answering by ANSWER, a function."
  (advice-add function :override answer '((name . cairn-test-answer)))
  (unwind-protect (funcall thunk)
    (advice-remove function 'cairn-test-answer)))

(defun cairn-test-watch-deletion (process thunk)
  "Call THUNK (which ends PROCESS), noting under PROCESS's `cairn-test-ended' property the
status it had when Emacs deleted it (jsonrpc.el deletes a server it waited on long enough,
whether or not it has exited already) or, when it was not deleted, its final status."
  (let ((note (lambda (&optional target)
                (when (and (eq target process) (not (process-get process 'cairn-test-ended)))
                  (process-put process 'cairn-test-ended
                               (list (process-status process) (process-exit-status process)))))))
    (advice-add 'delete-process :before note '((name . cairn-test-watch)))
    (unwind-protect
        (progn (funcall thunk)
               (cairn-wait (lambda () (not (process-live-p process))) 30 "the process to end"))
      (advice-remove 'delete-process 'cairn-test-watch))
    (unless (process-get process 'cairn-test-ended)
      (funcall note process))))

(defun cairn-test-library-version (library)
  "The Version: header of LIBRARY's source."
  (require 'lisp-mnt)
  (require 'find-func)
  (with-temp-buffer
    (insert-file-contents (find-library-name library))
    (lm-version)))

(defun cairn-test-run ()
  "Run the defined tests in order, print TAP, and exit non-zero when one failed."
  (let ((number 0) (failed 0)
        (ert-batch-backtrace-right-margin 200))
    (princ (format "# %s, %s\n" (emacs-version) (or (getenv "CAIRN_EMACS_CLIENT") "")))
    (dolist (name (seq-filter (lambda (name) (string-match-p (or (getenv "CAIRN_EMACS_SELECT") "")
                                                             (symbol-name name)))
                              cairn-test--names))
      (cl-incf number)
      (let* ((started (float-time))
             (result (ert-run-test (ert-get-test name)))
             (ok (ert-test-passed-p result)))
        (unless ok (cl-incf failed))
        (princ (format "%s %d - %s\n# %.1f s\n" (if ok "ok" "not ok") number name
                       (- (float-time) started)))
        (unless ok
          (let ((detail (if (ert-test-result-with-condition-p result)
                            (concat (format "%S" (ert-test-result-with-condition-condition result))
                                    (mapconcat (lambda (info)
                                                 (let ((text (cdr info)))
                                                   (format "\n%s%s" (car info)
                                                           (if (functionp text) (funcall text) text))))
                                               (ert-test-result-with-condition-infos result) ""))
                          (format "%S" result))))
            (princ (concat "# " (replace-regexp-in-string "\n" "\n# " detail) "\n"))
            (princ (concat "# messages:\n# "
                           (replace-regexp-in-string "\n" "\n# " (cairn-test-messages)) "\n"))))))
    (princ (format "1..%d\n" number))
    (kill-emacs (if (zerop failed) 0 1))))

(provide 'harness)
;;; harness.el ends here
